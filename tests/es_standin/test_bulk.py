"""_bulk: mixed operations, per-item errors, malformed NDJSON, pipeline, refresh, filter_path."""

import pytest
from elasticsearch import BadRequestError


async def test_mixed_operations_and_per_item_results(es_client):
    await es_client.index(index="b", id="exists", document={"v": 0})
    ops = [
        {"index": {"_index": "b", "_id": "1"}},
        {"title": "one"},
        {"create": {"_index": "b", "_id": "exists"}},
        {"title": "dup"},
        {"update": {"_index": "b", "_id": "1"}},
        {"doc": {"extra": True}},
        {"update": {"_index": "b", "_id": "missing"}},
        {"doc": {"x": 1}},
        {"delete": {"_index": "b", "_id": "exists"}},
        {"delete": {"_index": "b", "_id": "never"}},
        {"index": {"_index": "b"}},
        {"title": "auto id"},
    ]
    r = await es_client.bulk(operations=ops, refresh=True)
    assert r["errors"] is True
    items = r["items"]
    assert items[0]["index"]["status"] == 201 and items[0]["index"]["result"] == "created"
    assert items[1]["create"]["status"] == 409
    assert items[1]["create"]["error"]["type"] == "version_conflict_engine_exception"
    assert items[2]["update"]["status"] == 200 and items[2]["update"]["_version"] == 2
    assert items[3]["update"]["status"] == 404
    assert items[3]["update"]["error"]["type"] == "document_missing_exception"
    assert items[4]["delete"]["result"] == "deleted"
    assert items[5]["delete"]["status"] == 404 and items[5]["delete"]["result"] == "not_found"
    assert items[6]["index"]["status"] == 201 and items[6]["index"]["_id"]
    assert (await es_client.get(index="b", id="1"))["_source"] == {"title": "one", "extra": True}
    assert (await es_client.count(index="b"))["count"] == 2


async def test_bulk_default_index_and_errors_false(es_client):
    r = await es_client.bulk(index="dflt", operations=[{"index": {"_id": "1"}}, {"a": 1}])
    assert r["errors"] is False
    assert r["items"][0]["index"]["_index"] == "dflt"


async def test_bulk_document_mapping_error_is_per_item(es_client):
    await es_client.indices.create(index="bt", mappings={"properties": {"n": {"type": "long"}}})
    r = await es_client.bulk(
        operations=[
            {"index": {"_index": "bt", "_id": "1"}},
            {"n": "abc"},
            {"index": {"_index": "bt", "_id": "2"}},
            {"n": 5},
        ]
    )
    assert r["errors"] is True
    assert r["items"][0]["index"]["status"] == 400
    assert r["items"][0]["index"]["error"]["type"] == "document_parsing_exception"
    assert r["items"][1]["index"]["status"] == 201


ILLEGAL = "illegal_argument_exception"


@pytest.mark.parametrize(
    ("payload", "error_type", "fragment"),
    [
        (b'{"index": {"_index": "x"}\n{"a": 1}\n', ILLEGAL, "Malformed action/metadata line [1]"),
        (b'{"frobnicate": {"_index": "x"}}\n{"a": 1}\n', ILLEGAL, "found [frobnicate]"),
        (b'{"index": {"_index": "x", "bogus": 1}}\n{"a": 1}\n', ILLEGAL, "unknown parameter [bogus]"),
        (b'{"index": {"_index": "x"}}\n{"a": 1}', ILLEGAL, "terminated by a newline"),
        (b'{"index": {"_index": "x"}}\n', ILLEGAL, "has no source line"),
        (b'{"update": {"_index": "x", "_id": "1"}}\n{"doc": \n', "x_content_parse_exception", "[1:"),
    ],
)
async def test_malformed_ndjson_is_a_clear_400(http, payload, error_type, fragment):
    async with http.post("/_bulk", data=payload, headers={"Content-Type": "application/x-ndjson"}) as resp:
        body = await resp.json()
    assert resp.status == 400
    assert body["error"]["type"] == error_type
    assert fragment in body["error"]["reason"]  # the parse error names its [line:column]


async def test_missing_index_in_bulk_is_validation_error(es_client):
    with pytest.raises(BadRequestError) as info:
        await es_client.bulk(operations=[{"index": {"_id": "1"}}, {"a": 1}])
    assert info.value.body["error"]["type"] == "action_request_validation_exception"
    assert "index is missing" in info.value.body["error"]["reason"]


async def test_bulk_with_pipeline_and_filter_path(es_client):
    await es_client.ingest.put_pipeline(id="lower", processors=[{"lowercase": {"field": "name"}}])
    r = await es_client.bulk(
        operations=[{"index": {"_index": "bp", "_id": "1"}}, {"name": "MiXeD"}],
        pipeline="lower",
        refresh=True,
        filter_path="errors,items.*.status",
    )
    assert r.body == {"errors": False, "items": [{"index": {"status": 201}}]}
    assert (await es_client.get(index="bp", id="1"))["_source"] == {"name": "mixed"}
    hits = await es_client.search(index="bp", query={"term": {"name.keyword": "mixed"}})
    assert hits["hits"]["total"]["value"] == 1


async def test_bulk_without_refresh_is_not_yet_searchable(es_client):
    await es_client.indices.create(index="bnr", settings={"refresh_interval": -1})
    await es_client.bulk(operations=[{"index": {"_index": "bnr", "_id": "1"}}, {"a": 1}])
    assert (await es_client.count(index="bnr"))["count"] == 0
    await es_client.bulk(operations=[{"index": {"_index": "bnr", "_id": "2"}}, {"a": 2}], refresh="true")
    assert (await es_client.count(index="bnr"))["count"] == 2


async def test_index_action_with_op_type_create(es_client):
    r = await es_client.bulk(
        operations=[
            {"index": {"_index": "opc", "op_type": "create"}},
            {"f": 1},
            {"index": {"_index": "opc", "_id": "x", "op_type": "create"}},
            {"f": 2},
            {"index": {"_index": "opc", "_id": "x", "op_type": "create"}},
            {"f": 3},
        ]
    )
    assert r["items"][0]["create"]["result"] == "created"
    assert r["items"][1]["create"]["result"] == "created"
    assert r["items"][2]["create"]["status"] == 409
