"""The document schema: ids, timestamps, people per flavour, ancestors, containers, attachments."""

from __future__ import annotations

from connectors.sources.confluence import documents as D

BASE = "https://wiki.example.com/confluence"


def test_utc_iso_normalises_every_form():
    assert D.utc_iso("2024-05-03T11:12:13.000Z") == "2024-05-03T11:12:13.000Z"
    assert D.utc_iso("2024-05-03T13:12:13.5+02:00") == "2024-05-03T11:12:13.500Z"
    assert D.utc_iso("2024-05-03T11:12:13") == "2024-05-03T11:12:13.000Z"
    assert D.utc_iso(1714734733000) == "2024-05-03T11:12:13.000Z"
    assert D.utc_iso("garbage") is None and D.utc_iso(None) is None


def test_data_center_people_use_user_key():
    item = {
        "id": "7",
        "type": "page",
        "title": "T",
        "space": {"id": 1, "key": "K", "name": "Kay"},
        "history": {"createdBy": {"username": "jsmith", "userKey": "8a7f", "displayName": "J Smith"},
                    "createdDate": "2024-01-01T00:00:00.000+01:00"},
        "version": {"by": {"username": "ann", "userKey": "99aa"}, "when": "2024-02-01T00:00:00.000+01:00", "number": 2},
        "_links": {"webui": "/display/K/T"},
    }  # fmt: skip
    doc = D.content_document(item, BASE, body="b", labels_on=True)
    assert doc["author"] == "J Smith" and doc["author_id"] == "8a7f"
    assert doc["last_modifier"] == "ann" and doc["last_modifier_id"] == "99aa"
    assert doc["_timestamp"] == "2024-01-31T23:00:00.000Z" and doc["created_at"] == "2023-12-31T23:00:00.000Z"
    assert doc["url"] == BASE + "/display/K/T" and doc["_id"] == "page-7" and doc["space_id"] == "1"
    assert doc["labels"] == [] and doc["ancestors"] == [] and "parent_id" not in doc


def test_attachment_fields_and_container_breadcrumb():
    item = {
        "id": "att9",
        "type": "attachment",
        "title": "a.pdf",
        "space": {"id": 1, "key": "K"},
        "version": {"when": "2024-02-01T00:00:00.000Z", "number": 1},
        "ancestors": [{"id": "5", "type": "page", "title": "Root"}],
        "container": {"id": "6", "type": "page", "title": "Leaf"},
        "extensions": {"mediaType": "application/pdf", "fileSize": 1234},
        "metadata": {"labels": {"results": [{"name": "x"}]}},
    }
    doc = D.content_document(item, BASE, body="", labels_on=True)
    assert doc["_id"] == "attachment-att9" and doc["filename"] == "a.pdf" and doc["size"] == 1234
    assert doc["media_type"] == "application/pdf" and doc["labels"] == ["x"]
    assert [a["id"] for a in doc["ancestors"]] == ["5", "6"] and doc["parent_id"] == "6"
    assert doc["container_id"] == "6" and doc["container_type"] == "page" and doc["container_title"] == "Leaf"


def test_space_from_v2_and_v1():
    v2 = {"id": "98304", "key": "ENG", "name": "Engineering", "type": "global", "status": "current",
          "createdAt": "2022-01-01T00:00:00.000Z", "authorId": "557058:x",
          "description": {"plain": {"value": "Eng"}}, "_links": {"webui": "/spaces/ENG"}}  # fmt: skip
    doc = D.space_document(v2, "https://acme.atlassian.net/wiki")
    assert doc["_id"] == "space-98304" and doc["body"] == "Eng" and doc["author_id"] == "557058:x"
    assert (
        doc["url"] == "https://acme.atlassian.net/wiki/spaces/ENG"
        and doc["_timestamp"] == "2022-01-01T00:00:00.000Z"
    )
    v1 = {"id": 98304, "key": "ENG", "name": "Engineering", "_links": {"webui": "/display/ENG"}}
    doc = D.space_document(v1, BASE)
    assert doc["_id"] == "space-98304" and doc["id"] == "98304" and doc["body"] == ""
    assert set(D.space_document(v1, BASE)) <= set(D.MAPPING_PROPERTIES) | {
        "_id",
        "_timestamp",
        "id",
        "type",
        "title",
        "body",
        "url",
    }


def test_mapping_does_not_redefine_framework_fields():
    assert not {"id", "type", "title", "body", "url", "_timestamp"} & set(D.MAPPING_PROPERTIES)
