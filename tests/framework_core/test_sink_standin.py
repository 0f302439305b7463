"""Round trips of the sink and the index mappings against the Elasticsearch stand-in.

They use the ``es_client`` fixture of ``tests/plugins/es_standin.py`` (an ``AsyncElasticsearch``
connected to an in-process stand-in on a free port).
"""

import pytest

from connectors.es.mappings import ensure_content_index
from connectors.es.sink import ContentSink

FAST = {"retry_interval": 0, "outage_retry_interval": 0, "flush_interval": 0.01}


@pytest.fixture
def es(es_client):
    return es_client


def doc(i, ts="2024-01-01T00:00:00.000Z"):
    return {
        "_id": f"page-{i}",
        "_timestamp": ts,
        "title": f"Page {i}",
        "space_key": "ENG",
        "body": f"text {i}",
    }


async def count(es, index):
    await es.indices.refresh(index=index)
    return (await es.count(index=index))["count"]


async def full_sync(es, index, docs, *, delete_stale=True, **options):
    sink = ContentSink(es, index, **{**FAST, **options})
    await sink.start(full=True)
    for d in docs:
        await sink.put(d, None)
    return await sink.finish(delete_stale=delete_stale)


async def test_mappings_are_created(es):
    assert await ensure_content_index(es, "search-mapped", {"labels": {"type": "keyword"}}) is True
    assert await ensure_content_index(es, "search-mapped") is False
    mapping = (await es.indices.get_mapping(index="search-mapped"))["search-mapped"]["mappings"]
    assert mapping["properties"]["_timestamp"]["type"] == "date"
    assert mapping["properties"]["labels"]["type"] == "keyword"
    assert mapping["properties"]["title"]["fields"]["keyword"]["type"] == "keyword"


async def test_full_syncs_skip_unchanged_and_delete_stale(es):
    index = "search-roundtrip"
    await ensure_content_index(es, index)
    first = await full_sync(es, index, [doc(i) for i in range(25)], chunk_size=10)
    assert first.indexed_document_count == 25 and first.errors == 0
    assert await count(es, index) == 25
    stored = await es.get(index=index, id="page-3")
    assert stored["_source"]["title"] == "Page 3" and stored["_source"]["id"] == "page-3"

    # 20 of them again, 5 of those changed; 5 vanished from the source
    second_docs = [doc(i) for i in range(15)] + [doc(i, "2024-02-01T00:00:00.000Z") for i in range(15, 20)]
    second = await full_sync(es, index, second_docs, page_size=7)  # several search_after pages
    assert (second.skipped, second.indexed_document_count, second.deleted_document_count) == (15, 5, 5)
    assert second.existing_document_count == 25
    assert await count(es, index) == 20
    changed = await es.get(index=index, id="page-17")
    assert changed["_source"]["_timestamp"] == "2024-02-01T00:00:00.000Z"


async def test_a_sync_right_after_another_sees_all_its_documents(es):
    index = "search-back-to-back"
    await full_sync(es, index, [doc(i) for i in range(300)], chunk_size=50)
    again = await full_sync(es, index, [doc(i) for i in range(300)])  # no refresh in between
    assert again.existing_document_count == 300 and again.skipped == 300 and again.indexed_document_count == 0


async def test_incomplete_listing_deletes_nothing(es):
    index = "search-partial"
    await ensure_content_index(es, index)
    await full_sync(es, index, [doc(i) for i in range(10)])
    partial = await full_sync(
        es, index, [doc(i, "2025-01-01T00:00:00.000Z") for i in range(3)], delete_stale=False
    )
    assert partial.deleted_document_count == 0 and partial.indexed_document_count == 3
    assert await count(es, index) == 10


async def test_first_sync_into_a_missing_index(es):
    stats = await full_sync(es, "search-brand-new", [doc(1)])
    assert stats.existing_document_count == 0 and stats.indexed_document_count == 1


async def test_rejected_documents_are_counted_and_the_rest_indexed(es, caplog):
    index = "search-rejects"
    await ensure_content_index(es, index, {"size": {"type": "long"}})
    docs = [doc(1), {**doc(2), "size": "not a number"}, doc(3)]
    stats = await full_sync(es, index, docs, error_budget=5)
    assert stats.errors == 1 and stats.indexed_document_count == 2
    assert "document page-2 not indexed: " in caplog.text
    assert await count(es, index) == 2


async def test_incremental_upsert_and_delete(es):
    index = "search-incremental"
    await ensure_content_index(es, index)
    await full_sync(es, index, [doc(i) for i in range(3)])
    sink = ContentSink(es, index, **FAST)
    await sink.start(full=False)
    await sink.put(
        {"_id": "page-0", "_timestamp": "2024-03-01T00:00:00.000Z", "title": "Renamed"}, None, "update"
    )
    await sink.delete("page-1")
    stats = await sink.finish(delete_stale=False)
    assert (stats.indexed_document_count, stats.deleted_document_count) == (1, 1)
    page0 = (await es.get(index=index, id="page-0"))["_source"]
    assert page0["title"] == "Renamed" and page0["body"] == "text 0"  # upsert keeps other fields
    assert await count(es, index) == 2


async def test_pipeline_is_applied_and_a_missing_one_is_reported(es):
    from connectors.errors import SyncError

    await es.ingest.put_pipeline(id="tag-it", processors=[{"set": {"field": "tagged", "value": True}}])
    stats = await full_sync(
        es, "search-piped", [doc(1)], pipeline={"name": "tag-it", "reduce_whitespace": True}
    )
    assert stats.indexed_document_count == 1
    source = (await es.get(index="search-piped", id="page-1"))["_source"]
    assert source["tagged"] is True and source["_reduce_whitespace"] is True
    with pytest.raises(SyncError, match="the ingest pipeline 'missing' of index search-piped does not exist"):
        await full_sync(es, "search-piped", [doc(2)], pipeline="missing")


async def test_a_failed_download_creates_only_absent_documents_in_the_stand_in(es):
    index = "search-create"
    await full_sync(es, index, [doc(1)])

    async def broken(doit=False, timestamp=None):
        raise OSError("gone")

    sink = ContentSink(es, index, **FAST)
    await sink.start(full=False)
    await sink.put(doc(1, ts="2025-01-01T00:00:00.000Z"), broken)  # indexed already (its look-up): kept
    await sink.put(doc(2), broken)  # new: metadata and the reason
    stats = await sink.finish()
    assert stats.errors == 2 and stats.indexed_document_count == 1
    kept = (await es.get(index=index, id="page-1"))["_source"]
    assert kept["body"] == "text 1" and kept["_timestamp"] == "2024-01-01T00:00:00.000Z"
    new = (await es.get(index=index, id="page-2"))["_source"]
    assert new["content_skipped_reason"] == "download failed: OSError: gone" and "_timestamp" not in new


FIELDS = ("ancestors", "space_name", "labels")


def meta_doc(i, ancestors=("1",), space_name="Eng", ts="2024-01-01T00:00:00.000Z", **extra):
    return {
        **doc(i, ts),
        "ancestors": [{"id": a, "title": f"Page {a}"} for a in ancestors],
        "space_name": space_name,
        **extra,
    }


def body_of(i):
    async def download(doit=False, timestamp=None):
        downloads.append(i)
        return {"body": f"converted {i}"}

    return download


downloads: list[int] = []


async def put_all(es, index, docs, *, full, **options):
    sink = ContentSink(es, index, unversioned_fields=FIELDS, **{**FAST, **options})
    await sink.start(full=full)
    for i, d in docs:
        await sink.put(d, body_of(i))
    return await sink.finish(delete_stale=full)


@pytest.mark.parametrize("full", [True, False], ids=["full", "incremental"])
async def test_a_moved_subtree_and_a_renamed_space_are_updated_without_downloads(es, full):
    index = "search-unversioned"
    await ensure_content_index(es, index, {"ancestors": {"properties": {"id": {"type": "keyword"}}}})
    await put_all(es, index, [(i, meta_doc(i)) for i in range(6)], full=True)
    downloads.clear()
    again = [(i, meta_doc(i, ancestors=("9", "1"), space_name="Engineering")) for i in range(3)]
    again += [(i, meta_doc(i)) for i in range(3, 6)]
    stats = await put_all(es, index, again, full=full, lookup_batch=4)
    assert (
        downloads == [] and stats.skipped == 3 and stats.metadata_updates == stats.indexed_document_count == 3
    )
    moved = (await es.get(index=index, id="page-1"))["_source"]
    assert moved["ancestors"] == [{"id": "9", "title": "Page 9"}, {"id": "1", "title": "Page 1"}]
    assert moved["space_name"] == "Engineering" and moved["body"] == "converted 1"  # the body stays
    assert (stats.lookups > 0) is not full


async def test_an_incremental_delete_of_an_id_the_index_lacks_is_not_counted(es):
    index = "search-unknown-delete"
    await ensure_content_index(es, index)
    await put_all(es, index, [(1, meta_doc(1))], full=True)
    sink = ContentSink(es, index, unversioned_fields=FIELDS, **FAST)
    await sink.start(full=False)
    await sink.put(meta_doc(2), body_of(2))
    await sink.delete("page-2")  # after its write, never before
    await sink.delete("page-404")
    stats = await sink.finish()
    assert (stats.deleted_document_count, stats.errors, stats.indexed_document_count) == (1, 0, 1)
    assert await count(es, index) == 1
