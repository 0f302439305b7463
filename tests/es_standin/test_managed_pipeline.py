"""The managed ``search-default-ingestion`` pipeline and the ``if`` conditions it needs."""

import pytest
from elasticsearch import AsyncElasticsearch, BadRequestError

from fixtures.elasticsearch import EsStandin
from fixtures.elasticsearch.ingest import parse_condition

NAME = "search-default-ingestion"
META_FIELDS = (
    "_attachment",
    "_attachment_indexed_chars",
    "_extracted_attachment",
    "_extract_binary_content",
    "_reduce_whitespace",
    "_run_ml_inference",
)


async def test_listed_as_managed_pipeline(es_client):
    everything = await es_client.ingest.get_pipeline()
    assert NAME in everything
    body = (await es_client.ingest.get_pipeline(id=NAME))[NAME]
    assert body["_meta"]["managed"] is True and body["version"] == 1
    tags = [next(iter(p.values())).get("tag") for p in body["processors"]]
    assert tags == [
        "set_body",
        "remove_replacement_chars",
        "remove_extra_whitespace",
        "trim_body",
        "remove_meta_fields",
    ]


async def test_reduces_whitespace_and_strips_meta_fields(es_client):
    await es_client.index(
        index="search-c",
        id="1",
        pipeline=NAME,
        refresh=True,
        document={
            "title": "  Keep   me  ",
            "body": "\n  Release\t\tnotes \n\n  for   9.1  ",
            "_extract_binary_content": True,
            "_reduce_whitespace": True,
            "_run_ml_inference": False,
            "_attachment": "aGVsbG8=",
        },
    )
    src = (await es_client.get(index="search-c", id="1"))["_source"]
    assert src == {"title": "  Keep   me  ", "body": "Release notes for 9.1"}


async def test_whitespace_kept_when_not_asked(es_client):
    doc = {"body": "  a\n\nb  ", "_reduce_whitespace": False, "_extract_binary_content": False}
    await es_client.index(index="search-c", id="1", pipeline=NAME, document=doc)
    src = (await es_client.get(index="search-c", id="1"))["_source"]
    assert src == {"body": "  a\n\nb  "}
    await es_client.index(index="search-c", id="2", pipeline=NAME, document={"body": " x  y "})
    assert (await es_client.get(index="search-c", id="2"))["_source"] == {"body": " x  y "}


async def test_extracted_text_becomes_body_without_replacement_chars(es_client):
    doc = {
        "_extract_binary_content": True,
        "_extracted_attachment": {"content": "PDF\ufffd text\ufffd"},
        "body": "old",
    }
    await es_client.index(index="search-c", id="1", pipeline=NAME, document=doc)
    assert (await es_client.get(index="search-c", id="1"))["_source"] == {"body": "PDF text"}


async def test_bulk_through_the_pipeline(es_client):
    ops = []
    for n in range(3):
        ops += [
            {"index": {"_index": "search-b", "_id": str(n)}},
            {"body": f" {n}  x ", "_reduce_whitespace": True},
        ]
    resp = await es_client.bulk(operations=ops, pipeline=NAME, refresh=True)
    assert not resp["errors"]
    got = await es_client.search(index="search-b", sort=[{"_doc": "asc"}])
    assert [h["_source"] for h in got["hits"]["hits"]] == [{"body": f"{n} x"} for n in range(3)]


async def test_non_string_body_records_the_failure(es_client):
    doc = {"body": 42, "_reduce_whitespace": True}
    await es_client.index(index="search-c", id="1", pipeline=NAME, document=doc)
    src = (await es_client.get(index="search-c", id="1"))["_source"]
    assert src["body"] == 42 and "_reduce_whitespace" not in src
    assert len(src["_ingestion_errors"]) == 2  # gsub and trim each record why they failed
    assert "remove_extra_whitespace" in src["_ingestion_errors"][0]


async def test_survives_restart_once_and_comes_back_after_delete(tmp_path):
    async with EsStandin(port=0, data_dir=str(tmp_path)) as es, AsyncElasticsearch(es.url) as client:
        assert NAME in await client.ingest.get_pipeline()
    async with EsStandin(port=0, data_dir=str(tmp_path)) as es, AsyncElasticsearch(es.url) as client:
        everything = await client.ingest.get_pipeline()
        assert list(everything).count(NAME) == 1 and everything[NAME]["_meta"]["managed"] is True
        await client.ingest.delete_pipeline(id=NAME)
        assert NAME not in await client.ingest.get_pipeline()
    async with EsStandin(port=0, data_dir=str(tmp_path)) as es, AsyncElasticsearch(es.url) as client:
        assert NAME in await client.ingest.get_pipeline()  # re-installed at start, as a node does


async def test_user_changes_to_it_are_kept_across_restart(tmp_path):
    async with EsStandin(port=0, data_dir=str(tmp_path)) as es, AsyncElasticsearch(es.url) as client:
        await client.ingest.put_pipeline(id=NAME, processors=[{"set": {"field": "x", "value": 1}}])
    async with EsStandin(port=0, data_dir=str(tmp_path)) as es, AsyncElasticsearch(es.url) as client:
        body = (await client.ingest.get_pipeline(id=NAME))[NAME]
        assert body["processors"] == [{"set": {"field": "x", "value": 1}}]


@pytest.mark.parametrize(
    ("cond", "doc", "expected"),
    [
        ("ctx?._reduce_whitespace == true", {"_reduce_whitespace": True}, True),
        ("ctx?._reduce_whitespace == true", {"_reduce_whitespace": "true"}, False),
        ("ctx?._reduce_whitespace == true", {}, False),
        ("ctx._a?.b != null", {"_a": {"b": 0}}, True),
        ("ctx._a?.b != null", {"_a": 3}, False),
        ("ctx.kind == 'page'", {"kind": "page"}, True),
        ('ctx.kind == "page"', {"kind": "blog"}, False),
        ("ctx.n == 2", {"n": 2}, True),
        ("ctx.n == 2.5", {"n": 2}, False),
        ("ctx.flag == 1", {"flag": True}, False),
        (True, {}, True),
        ("false", {}, False),
    ],
)
def test_conditions(cond, doc, expected):
    assert parse_condition(cond)(doc) is expected


async def test_unsupported_condition_is_a_clear_400(es_client):
    with pytest.raises(BadRequestError) as err:
        await es_client.ingest.put_pipeline(
            id="bad", processors=[{"trim": {"field": "b", "if": "ctx.b.length() > 3"}}]
        )
    assert "ctx.b.length() > 3" in str(err.value) and "[trim]" in str(err.value)


async def test_unknown_processor_still_refused(es_client):
    with pytest.raises(BadRequestError) as err:
        await es_client.ingest.put_pipeline(id="bad", processors=[{"attachment": {"field": "_attachment"}}])
    assert "attachment" in str(err.value)
