"""Document APIs through the official client: versions, CAS, refresh, update flavours, mget."""

import pytest
from elasticsearch import ConflictError, NotFoundError


async def search_ids(es_client, index):
    r = await es_client.search(index=index, query={"match_all": {}}, size=100)
    return sorted(h["_id"] for h in r["hits"]["hits"])


async def test_versions_seq_no_and_results(es_client):
    a = await es_client.index(index="d", id="1", document={"v": 1})
    b = await es_client.index(index="d", id="1", document={"v": 2})
    c = await es_client.index(index="d", id="2", document={"v": 3})
    assert (a["result"], a["_version"], a["_seq_no"]) == ("created", 1, 0)
    assert (b["result"], b["_version"], b["_seq_no"]) == ("updated", 2, 1)
    assert (c["_version"], c["_seq_no"], c["_primary_term"]) == (1, 2, 1)
    auto = await es_client.index(index="d", document={"v": 4})
    assert auto["result"] == "created" and len(auto["_id"]) == 20


async def test_op_type_create_conflicts(es_client):
    await es_client.create(index="d", id="1", document={"v": 1})
    with pytest.raises(ConflictError) as info:
        await es_client.create(index="d", id="1", document={"v": 2})
    assert info.value.body["error"]["type"] == "version_conflict_engine_exception"
    assert (await es_client.get(index="d", id="1"))["_source"] == {"v": 1}


async def test_if_seq_no_if_primary_term(es_client):
    first = await es_client.index(index="d", id="1", document={"v": 1})
    ok = await es_client.index(
        index="d",
        id="1",
        document={"v": 2},
        if_seq_no=first["_seq_no"],
        if_primary_term=first["_primary_term"],
    )
    assert ok["_version"] == 2
    with pytest.raises(ConflictError) as info:
        await es_client.index(
            index="d", id="1", document={"v": 3}, if_seq_no=first["_seq_no"], if_primary_term=1
        )
    assert "required seqNo [0]" in info.value.body["error"]["reason"]
    with pytest.raises(ConflictError):
        await es_client.delete(index="d", id="1", if_seq_no=99, if_primary_term=1)
    with pytest.raises(ConflictError):
        await es_client.update(index="d", id="1", doc={"v": 9}, if_seq_no=0, if_primary_term=1)
    assert (await es_client.get(index="d", id="1"))["_source"] == {"v": 2}


async def test_documents_are_searchable_only_after_refresh(es_client):
    await es_client.indices.create(index="nrt", settings={"refresh_interval": "-1"})
    await es_client.index(index="nrt", id="1", document={"t": "x"})
    assert (await es_client.get(index="nrt", id="1"))["found"]  # realtime get
    assert await search_ids(es_client, "nrt") == []
    assert (await es_client.count(index="nrt"))["count"] == 0
    await es_client.indices.refresh(index="nrt")
    assert await search_ids(es_client, "nrt") == ["1"]
    await es_client.delete(index="nrt", id="1")
    assert await search_ids(es_client, "nrt") == ["1"]
    await es_client.index(index="nrt", id="2", document={"t": "y"}, refresh="wait_for")
    assert await search_ids(es_client, "nrt") == ["2"]


async def test_get_source_filtering_exists_and_get_source(es_client):
    doc = {"title": "t", "body": {"text": "long", "lang": "en"}, "meta": {"a": 1}}
    await es_client.index(index="g", id="1", document=doc)
    got = await es_client.get(index="g", id="1", source_includes=["body.*"])
    assert got["_source"] == {"body": {"text": "long", "lang": "en"}}
    got = await es_client.get(index="g", id="1", source_excludes=["body.text", "meta"])
    assert got["_source"] == {"title": "t", "body": {"lang": "en"}}
    got = await es_client.get(index="g", id="1", source=False)
    assert "_source" not in got
    assert await es_client.exists(index="g", id="1")
    assert not await es_client.exists(index="g", id="2")
    assert (await es_client.get_source(index="g", id="1")).body == doc
    with pytest.raises(NotFoundError) as info:
        await es_client.get(index="g", id="2")
    assert info.value.body == {"_index": "g", "_id": "2", "found": False}


async def test_delete_missing_doc_and_missing_index(es_client):
    await es_client.index(index="del", id="1", document={})
    assert (await es_client.delete(index="del", id="1"))["result"] == "deleted"
    with pytest.raises(NotFoundError) as info:
        await es_client.delete(index="del", id="1")
    assert info.value.body["result"] == "not_found"
    with pytest.raises(NotFoundError) as info:
        await es_client.delete(index="no-such-index", id="1")
    assert info.value.body["error"]["type"] == "index_not_found_exception"
    again = await es_client.index(index="del", id="1", document={})
    assert again["_version"] == 4  # create 1, delete 2, delete-miss 3, create 4 (tombstone kept)


async def test_update_doc_merge_noop_upserts(es_client):
    await es_client.index(index="u", id="1", document={"a": 1, "n": {"x": 1, "y": 2}, "l": [1, 2]})
    r = await es_client.update(index="u", id="1", doc={"n": {"x": 5}, "l": [3]})
    assert (r["result"], r["_version"]) == ("updated", 2)
    assert (await es_client.get(index="u", id="1"))["_source"] == {"a": 1, "n": {"x": 5, "y": 2}, "l": [3]}
    noop = await es_client.update(index="u", id="1", doc={"a": 1})
    assert (noop["result"], noop["_version"]) == ("noop", 2)
    forced = await es_client.update(index="u", id="1", doc={"a": 1}, detect_noop=False)
    assert forced["result"] == "updated"
    with pytest.raises(NotFoundError) as info:
        await es_client.update(index="u", id="missing", doc={"a": 1})
    assert info.value.body["error"]["type"] == "document_missing_exception"
    up = await es_client.update(index="u", id="2", doc={"a": 2}, doc_as_upsert=True)
    assert up["result"] == "created"
    up = await es_client.update(index="u", id="3", doc={"a": 3}, upsert={"a": 0, "fresh": True})
    assert (await es_client.get(index="u", id="3"))["_source"] == {"a": 0, "fresh": True}
    await es_client.update(index="u", id="3", doc={"a": 3}, upsert={"a": 0})
    assert (await es_client.get(index="u", id="3"))["_source"] == {"a": 3, "fresh": True}


async def test_update_with_simple_script_and_refusal_of_others(es_client):
    await es_client.index(index="s", id="1", document={"n": 1})
    await es_client.update(
        index="s", id="1", script={"source": "ctx._source.n += params.k", "params": {"k": 4}}
    )
    assert (await es_client.get(index="s", id="1"))["_source"]["n"] == 5
    from elasticsearch import BadRequestError

    with pytest.raises(BadRequestError) as info:
        await es_client.update(index="s", id="1", script="for (x in ctx._source.keySet()) {}")
    assert "not supported by the Elasticsearch stand-in" in info.value.body["error"]["reason"]


async def test_mget(es_client):
    await es_client.index(index="mg", id="1", document={"a": 1, "b": 2})
    await es_client.index(index="mg", id="2", document={"a": 3})
    r = await es_client.mget(
        docs=[
            {"_index": "mg", "_id": "1"},
            {"_index": "mg", "_id": "nope"},
            {"_index": "missing", "_id": "1"},
        ]
    )
    docs = r["docs"]
    assert docs[0]["found"] and docs[0]["_source"] == {"a": 1, "b": 2}
    assert docs[1]["found"] is False
    assert docs[2]["error"]["type"] == "index_not_found_exception"
    r = await es_client.mget(index="mg", ids=["2", "1"], source_includes=["a"])
    assert [d["_source"] for d in r["docs"]] == [{"a": 3}, {"a": 1}]


async def test_non_object_document_is_rejected(http):
    async with http.put("/x/_doc/1", data=b"[1,2]", headers={"Content-Type": "application/json"}) as resp:
        body = await resp.json()
    assert resp.status == 400
    assert "object" in body["error"]["reason"]


async def test_realtime_false_reads_the_searchable_view(es_client):
    await es_client.indices.create(index="rt", settings={"refresh_interval": "-1"})
    await es_client.index(index="rt", id="1", document={"a": 1})
    with pytest.raises(NotFoundError):
        await es_client.get(index="rt", id="1", realtime=False)
    assert (await es_client.get(index="rt", id="1", realtime=False, refresh=True))["found"]


async def test_refresh_wait_for_is_visible_but_not_forced(es_client):
    r = await es_client.index(index="wf", id="1", document={"a": 1}, refresh="wait_for")
    assert "forced_refresh" not in r
    assert (await es_client.count(index="wf"))["count"] == 1
    r = await es_client.index(index="wf", id="2", document={"a": 1}, refresh=True)
    assert r["forced_refresh"] is True


async def test_external_versions(es_client):
    r = await es_client.index(index="ev", id="1", document={"a": 1}, version=5, version_type="external")
    assert r["_version"] == 5
    with pytest.raises(ConflictError):
        await es_client.delete(index="ev", id="1", version=4, version_type="external")
    assert (await es_client.delete(index="ev", id="1", version=6, version_type="external"))["_version"] == 6


async def test_update_with_cas_on_missing_document_is_document_missing(es_client):
    await es_client.indices.create(index="um")
    with pytest.raises(NotFoundError) as info:
        await es_client.update(index="um", id="1", doc={"a": 1}, if_seq_no=1, if_primary_term=1)
    assert info.value.body["error"]["type"] == "document_missing_exception"


async def test_routing_is_kept_and_respected_with_several_shards(es_client):
    await es_client.indices.create(index="rout", settings={"number_of_shards": 5})
    await es_client.index(index="rout", id="1", routing="5", document={"a": 1}, refresh=True)
    got = await es_client.get(index="rout", id="1", routing="5")
    assert got["_routing"] == "5"
    assert not await es_client.exists(index="rout", id="1")  # routed by id to another shard
    with pytest.raises(NotFoundError):
        await es_client.delete(index="rout", id="1")
    r = await es_client.search(index="rout")
    assert r["hits"]["hits"][0]["_routing"] == "5"
    await es_client.update(index="rout", id="1", routing="5", doc={"b": 2})
    assert (await es_client.get(index="rout", id="1", routing="5"))["_source"] == {"a": 1, "b": 2}
    await es_client.indices.create(index="rreq", mappings={"_routing": {"required": True}})
    from elasticsearch import BadRequestError

    with pytest.raises(BadRequestError) as info:
        await es_client.index(index="rreq", id="1", document={"a": 1})
    assert info.value.body["error"]["type"] == "routing_missing_exception"
