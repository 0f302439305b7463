"""Round trips of the sink and the index mappings against the Elasticsearch stand-in.

They use the ``es_client`` fixture of ``tests/plugins/es_standin.py`` (an ``AsyncElasticsearch``
connected to an in-process stand-in on a free port); until that fixture exists they are skipped
with a message saying so.
"""

import pytest

from connectors.es.mappings import ensure_content_index
from connectors.es.sink import ContentSink

FAST = {"retry_interval": 0, "flush_interval": 0.01}


@pytest.fixture
async def es(request):
    try:
        return request.getfixturevalue("es_client")
    except pytest.FixtureLookupError:
        pytest.skip("the es_client fixture (tests/plugins/es_standin.py) is not available yet")


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
