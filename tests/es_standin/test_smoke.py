"""The stand-in through the official client: the basics every other part relies on."""

import pytest
from elasticsearch import NotFoundError


async def test_info_ping_and_product_header(es_client):
    info = await es_client.info()
    assert info["version"]["number"].startswith("9.")
    assert info["tagline"] == "You Know, for Search"
    assert info.meta.headers["X-Elastic-Product"] == "Elasticsearch"
    assert await es_client.ping() is True


async def test_index_get_search_roundtrip(es_client):
    r = await es_client.index(index="docs", id="a/1", document={"title": "Hello World", "n": 3}, refresh=True)
    assert (r["result"], r["_version"], r["_seq_no"], r["_primary_term"]) == ("created", 1, 0, 1)
    got = await es_client.get(index="docs", id="a/1")
    assert got["_source"] == {"title": "Hello World", "n": 3}
    hits = await es_client.search(index="docs", query={"match": {"title": "hello"}})
    assert [h["_id"] for h in hits["hits"]["hits"]] == ["a/1"]
    # BM25 of one matching term in a one-document index: ln(1 + 0.5 / 1.5), as Elasticsearch scores it
    assert hits["hits"]["hits"][0]["_score"] == pytest.approx(0.2876821)


async def test_missing_index_is_404_in_elasticsearch_shape(es_client):
    with pytest.raises(NotFoundError) as info:
        await es_client.get(index="nope", id="1")
    assert info.value.body["error"]["type"] == "index_not_found_exception"
    assert info.value.body["status"] == 404
