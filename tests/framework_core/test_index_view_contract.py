"""The IndexView contract (connectors/index_view.py), one set of assertions run against both
implementations: :class:`MemoryIndexView` (what source unit tests use) and :class:`EsIndexView`
on the Elasticsearch stand-in (what the runner gives a source). Then what only the Elasticsearch
one has: its requests (refresh once, point in time closed, bounded pages) and its failures."""

from __future__ import annotations

import pytest
from elasticsearch import AsyncElasticsearch

from connectors.errors import SyncError
from connectors.es.index_view import EsIndexView
from connectors.es.mappings import ensure_content_index
from connectors.es.outage import OutagePolicy
from connectors.index_view import STORED_BATCH, MemoryIndexView
from tests.framework_core.fake_es import api_error

INDEX = "search-view"
MAPPING = {  # as a source declares it (connectors/sources/confluence/documents.py)
    "ancestors": {"properties": {"id": {"type": "keyword"}, "title": {"type": "text"}}},
    "labels": {"type": "keyword"},
    "space_key": {"type": "keyword"},
    "parent_id": {"type": "keyword"},
}


def ancestors(*ids):
    return [{"id": i, "title": f"Page {i}"} for i in ids]


DOCS = {
    "space-1": {"type": "space", "title": "Eng", "space_key": "ENG", "labels": [], "ancestors": []},
    "page-10": {"type": "page", "title": "Root", "space_key": "ENG", "ancestors": [], "parent_id": None},
    "page-11": {
        "type": "page",
        "title": "A",
        "space_key": "ENG",
        "ancestors": ancestors("10"),
        "labels": ["x"],
    },
    "page-12": {"type": "page", "title": "B", "space_key": "ENG", "ancestors": ancestors("10", "11")},
    "comment-13": {
        "type": "comment",
        "title": "Re: B",
        "space_key": "ENG",
        "ancestors": ancestors("10", "12"),
    },
    "page-20": {"type": "page", "title": "Other", "space_key": "OPS", "ancestors": ancestors("19")},
}


async def collect(stream):
    return [item async for item in stream]


@pytest.fixture(params=["memory", "elasticsearch"])
def view_of(request):
    """``await view_of(docs)`` -> a view of an index holding ``docs`` (``None``: no index at all);
    ``write(id, source)`` adds a document afterwards, as the sink would (no refresh)."""
    if request.param == "memory":

        class Memory:
            async def __call__(self, docs):
                self.docs = dict(docs or {})
                return MemoryIndexView(self.docs)

            async def write(self, doc_id, source):
                self.docs[doc_id] = source

        return Memory()
    es = request.getfixturevalue("es_client")

    class Elasticsearch:
        async def __call__(self, docs):
            if docs is not None:
                await ensure_content_index(es, INDEX, MAPPING)
                for doc_id, source in docs.items():
                    await es.index(index=INDEX, id=doc_id, document=source)
            return EsIndexView(es, INDEX, OutagePolicy(1, 0), page_size=2)  # several pages

        async def write(self, doc_id, source):
            await es.index(index=INDEX, id=doc_id, document=source)

    return Elasticsearch()


# -- the contract -------------------------------------------------------------------------------
async def test_stored_gives_only_the_asked_fields_of_the_ids_the_index_holds(view_of):
    view = await view_of(DOCS)
    got = await view.stored(["page-11", "page-10", "nope", "space-1"], ["ancestors", "labels", "parent_id"])
    assert got == {
        "page-11": {"ancestors": ancestors("10"), "labels": ["x"]},  # absent fields stay absent
        "page-10": {"ancestors": [], "parent_id": None},  # null and [] are kept as stored
        "space-1": {"labels": [], "ancestors": []},
    }
    assert await view.stored([], ["title"]) == {}
    assert await view.stored(["page-20"], []) == {"page-20": {}}
    with pytest.raises(ValueError, match=f"at most {STORED_BATCH} ids"):
        await view.stored([f"page-{i}" for i in range(STORED_BATCH + 1)], ["title"])


async def test_matching_walks_dotted_object_fields_and_yields_each_document_once(view_of):
    view = await view_of(DOCS)
    under_10 = dict(await collect(view.matching("ancestors.id", ["10"], ["title"])))
    assert under_10 == {
        "page-11": {"title": "A"},
        "page-12": {"title": "B"},
        "comment-13": {"title": "Re: B"},
    }
    both = [doc_id for doc_id, _ in await collect(view.matching("ancestors.id", ["11", "10", "19"]))]
    assert sorted(both) == ["comment-13", "page-11", "page-12", "page-20"]  # page-12 once, not twice
    assert all(fields == {} for _, fields in await collect(view.matching("ancestors.id", ["19"])))
    ops = await collect(view.matching("space_key", ["OPS"], ["space_key", "missing"]))
    assert ops == [("page-20", {"space_key": "OPS"})]
    assert await collect(view.matching("ancestors.id", ["999"])) == []
    assert await collect(view.matching("ancestors.id", [])) == []


async def test_ids_streams_every_id_or_those_of_some_types(view_of):
    view = await view_of(DOCS)
    assert sorted(await collect(view.ids())) == sorted(DOCS)
    assert sorted(await collect(view.ids(["page", "space"]))) == [
        "page-10",
        "page-11",
        "page-12",
        "page-20",
        "space-1",
    ]
    assert await collect(view.ids(["folder"])) == []


async def test_reads_see_what_was_written_before_the_first_search_and_stored_sees_later_writes(view_of):
    view = await view_of(DOCS)
    await view_of.write("page-30", {"type": "page", "title": "New", "ancestors": ancestors("10")})
    assert "page-30" in dict(await collect(view.matching("ancestors.id", ["10"])))  # refreshed first
    await view_of.write("page-31", {"type": "page", "title": "Newer"})
    assert await view.stored(["page-31"], ["title"]) == {"page-31": {"title": "Newer"}}  # real time


async def test_a_missing_index_holds_nothing(view_of):
    view = await view_of(None)
    assert await view.stored(["page-1"], ["title"]) == {}
    assert await collect(view.matching("ancestors.id", ["1"])) == []
    assert await collect(view.ids()) == []


# -- Elasticsearch only -------------------------------------------------------------------------
class Counting:
    """The client, with its point-in-time and refresh calls counted (and an error to inject)."""

    def __init__(self, es: AsyncElasticsearch):
        self.es = es
        self.opened = self.closed = self.refreshes = self.searches = 0
        self.fail_search: Exception | None = None
        outer = self

        class Indices:
            async def refresh(self, **kwargs):
                outer.refreshes += 1
                return await es.indices.refresh(**kwargs)

        self.indices = Indices()

    async def open_point_in_time(self, **kwargs):
        self.opened += 1
        return await self.es.open_point_in_time(**kwargs)

    async def close_point_in_time(self, **kwargs):
        self.closed += 1
        return await self.es.close_point_in_time(**kwargs)

    async def search(self, **kwargs):
        self.searches += 1
        if self.fail_search is not None:
            raise self.fail_search
        return await self.es.search(**kwargs)

    async def mget(self, **kwargs):
        return await self.es.mget(**kwargs)


async def test_es_view_refreshes_once_pages_and_closes_its_points_in_time(es_client):
    await ensure_content_index(es_client, INDEX, MAPPING)
    for doc_id, source in DOCS.items():
        await es_client.index(index=INDEX, id=doc_id, document=source)
    client = Counting(es_client)
    view = EsIndexView(client, INDEX, OutagePolicy(1, 0), page_size=2)
    assert len(await collect(view.ids())) == 6
    assert client.searches == 4  # 2 + 2 + 2 + an empty last page: bounded pages
    stream = view.matching("space_key", ["ENG"])
    await anext(stream)
    await stream.aclose()  # a consumer that stops early
    assert (client.refreshes, client.opened, client.closed) == (1, 2, 2)


async def test_es_view_fails_with_a_sync_error_naming_the_index_and_the_read(es_client):
    await ensure_content_index(es_client, INDEX, MAPPING)
    client = Counting(es_client)
    client.fail_search = api_error(400, "illegal_argument_exception")
    view = EsIndexView(client, INDEX, OutagePolicy(1, 0))
    with pytest.raises(
        SyncError, match=f"documents whose ancestors.id matches in index {INDEX} failed: illegal"
    ):
        await collect(view.matching("ancestors.id", ["1"]))
    assert client.closed == client.opened == 1


async def test_es_view_gives_up_after_the_outage_bound_with_a_sync_error():
    dead = AsyncElasticsearch("http://127.0.0.1:9", request_timeout=1)  # nothing listens on port 9
    try:
        view = EsIndexView(dead, INDEX, OutagePolicy(0.2, 0.01))
        with pytest.raises(
            SyncError,
            match=f"stored fields of 1 documents in index {INDEX} failed: Elasticsearch did not answer",
        ):
            await view.stored(["page-1"], ["title"])
        with pytest.raises(SyncError, match="did not answer"):
            await collect(view.ids())
    finally:
        await dead.close()
