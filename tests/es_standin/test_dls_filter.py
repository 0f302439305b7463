"""The search side of document-level security, against the Elasticsearch stand-in: documents with
access lists in a content index made by ``ensure_content_index``, identities stored in
``.search-acl-filter-<index>``, searches through ``user_filter(identity)`` return exactly the
documents one of the user's principals is listed on."""

from __future__ import annotations

import json

import pytest

from connectors.access_control import (
    DENY_PRINCIPAL,
    DLS_QUERY,
    MATCH_NONE,
    TemplateError,
    acl_or_deny,
    guard_document,
    identity_document,
    render_template,
    user_filter,
)
from connectors.es.mappings import ACCESS_CONTROL_INDEX_PREFIX, ensure_content_index

INDEX = "search-wiki"
ACL_INDEX = ACCESS_CONTROL_INDEX_PREFIX + INDEX

DOCS = {
    "public": ["public:anonymous", "group_id:all"],
    "eng": ["group_id:eng"],
    "ann-only": ["account_id:ann"],
    "ann-prefix-trap": ["account_id:ann-smith"],  # must not match ann (exact principals)
    "hr-or-bob": ["group_id:hr", "account_id:bob"],
    "nobody": acl_or_deny([]),
}
USERS = {
    "ann": ["account_id:ann", "group_id:all", "group_id:eng", "public:anonymous"],
    "bob": ["account_id:bob", "public:anonymous"],
    "cy": ["account_id:cy", "group_id:hr", "email_address:cy@example.com"],
}


def allowed(user: str) -> set[str]:
    return {doc for doc, acl in DOCS.items() if set(acl) & set(USERS[user])}


@pytest.fixture
async def indexed(es_client):
    await ensure_content_index(es_client, INDEX)
    await ensure_content_index(es_client, ACL_INDEX)
    for doc_id, acl in DOCS.items():
        await es_client.index(
            index=INDEX, id=doc_id, document={"title": doc_id, "_allow_access_control": acl}
        )
    for user, access in USERS.items():
        doc = identity_document(user, {"account_id": f"account_id:{user}"}, access)
        await es_client.index(index=ACL_INDEX, id=doc.pop("_id"), document=doc)
    await es_client.indices.refresh(index=[INDEX, ACL_INDEX])
    return es_client


async def search_as(es, identity) -> set[str]:
    resp = await es.search(index=INDEX, query={"bool": {"filter": [user_filter(identity)]}}, size=100)
    return {hit["_id"] for hit in resp["hits"]["hits"]}


@pytest.mark.parametrize("user", sorted(USERS))
async def test_each_user_sees_exactly_what_lists_them(indexed, user):
    stored = await indexed.get(index=ACL_INDEX, id=user)
    assert await search_as(indexed, stored.body) == allowed(user)
    assert "nobody" not in allowed(user) and "ann-prefix-trap" not in allowed(user)


async def test_no_identity_sees_nothing(indexed):
    assert user_filter(None) == MATCH_NONE
    assert await search_as(indexed, None) == set()


async def test_a_document_without_a_list_is_public_under_elastics_template(indexed):
    """Why a document must never lack its list (rule 2): the template lets it through."""
    await indexed.index(index=INDEX, id="unlisted", document={"title": "unlisted"}, refresh=True)
    stored = await indexed.get(index=ACL_INDEX, id="bob")
    assert "unlisted" in await search_as(indexed, stored.body)
    guarded = guard_document({"title": "unlisted", "_allow_access_control": []})
    assert guarded["_allow_access_control"] == [DENY_PRINCIPAL]
    await indexed.index(index=INDEX, id="unlisted", document=guarded, refresh=True)
    assert "unlisted" not in await search_as(indexed, stored.body)


def test_rendering_is_elastics_template_with_the_params():
    doc = identity_document("u", {}, ["b", "a", None, ""])
    assert doc["query"]["template"]["params"]["access_control"] == ["a", "b"]
    assert doc["query"]["template"]["source"] == DLS_QUERY
    query = user_filter(doc)
    should = query["bool"]["should"]
    assert should[0] == {"bool": {"must_not": {"exists": {"field": "_allow_access_control"}}}}
    assert should[1] == {"terms": {"_allow_access_control.keyword": ["a", "b"]}}
    # a stored search hit works too
    assert user_filter({"_id": "u", "_source": {k: v for k, v in doc.items() if k != "_id"}}) == query


def test_unsupported_templates_are_refused():
    with pytest.raises(TemplateError, match="unsupported mustache tag"):
        render_template('{"terms": {"f": {{access_control}}}}', {"access_control": ["a"]})
    with pytest.raises(TemplateError, match="params lack"):
        render_template('{"terms": {"f": {{#toJson}}missing{{/toJson}}}}', {})
    with pytest.raises(TemplateError, match="no query.template.source"):
        user_filter({"identity": {}})
    assert render_template('{"t": {{#toJson}}a.b{{/toJson}}}', {"a": {"b": [1]}}) == {"t": [1]}
    assert json.loads(json.dumps(MATCH_NONE)) == {"match_none": {}}


def test_the_deny_principal_is_never_given_to_an_identity():
    with pytest.raises(ValueError, match="deny principal"):
        identity_document("u", {}, [DENY_PRINCIPAL])


async def test_an_existing_index_gets_the_keyword_sub_field(es_client):
    await es_client.indices.create(
        index="search-old", mappings={"properties": {"_allow_access_control": {"type": "keyword"}}}
    )
    await ensure_content_index(es_client, "search-old")
    mapping = (await es_client.indices.get_mapping(index="search-old"))["search-old"]["mappings"]
    assert mapping["properties"]["_allow_access_control"]["fields"]["keyword"] == {"type": "keyword"}
    await es_client.index(
        index="search-old", id="d", document={"_allow_access_control": ["group_id:x"]}, refresh=True
    )
    identity = identity_document("u", {}, ["group_id:x"])
    resp = await es_client.search(index="search-old", query=user_filter(identity))
    assert [hit["_id"] for hit in resp["hits"]["hits"]] == ["d"]
