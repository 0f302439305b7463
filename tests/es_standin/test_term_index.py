"""The term index built at refresh: same BM25 scores as scanning, kept right across updates and
deletes, used only for the newest snapshot, and built in the background once writes go quiet."""

import asyncio
import random

from fixtures.elasticsearch.query import Ctx, parse_query
from fixtures.elasticsearch.search import searched_docs
from fixtures.elasticsearch.store import Store
from fixtures.elasticsearch.term_index import TermIndex

WORDS = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda release notes page space".split()
QUERIES = [
    {"match": {"body": "alpha gamma"}},
    {"match": {"body": {"query": "beta delta kappa", "operator": "and"}}},
    {"match": {"body": {"query": "beta delta kappa", "minimum_should_match": 2}}},
    {"match": {"title": "release"}},
    {"multi_match": {"query": "notes zeta", "fields": ["title^2", "body"]}},
    {"multi_match": {"query": "notes zeta", "fields": ["*"], "type": "most_fields"}},
    {"bool": {"must": [{"match": {"body": "eta"}}], "should": [{"match": {"title": "page"}}]}},
    {"bool": {"should": [{"match": {"body": "iota"}}, {"term": {"body": "lambda"}}]}},
    {"bool": {"must": [{"match": {"body": "theta"}}], "must_not": [{"match": {"title": "space"}}]}},
    {"match_phrase": {"body": "release notes"}},
    {"match_phrase_prefix": {"body": "page spa"}},
    {
        "dis_max": {
            "queries": [{"match": {"title": "alpha"}}, {"match": {"body": "alpha"}}],
            "tie_breaker": 0.3,
        }
    },
    {"constant_score": {"filter": {"match": {"body": "epsilon"}}, "boost": 2}},
    {"query_string": {"query": "gamma OR summary:alpha"}},
    {"simple_query_string": {"query": "delta +zeta", "fields": ["body", "summary"]}},
    {"match": {"summary": "alpha"}},
]


def _text(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


async def _corpus() -> Store:
    """Documents written over several refreshes, with updates, deletes and a field added late."""
    rng = random.Random(7)
    store = Store()
    await store.open()
    for n in range(120):
        await store.index_doc("c", str(n), {"title": _text(rng, 3), "body": _text(rng, rng.randint(0, 40))})
    store.refresh("c")
    for n in range(0, 120, 7):
        await store.index_doc("c", str(n), {"title": _text(rng, 2), "body": _text(rng, 15)})
    for n in range(3, 120, 11):
        await store.delete_doc("c", str(n))
    store.refresh("c")
    for n in range(120, 150):
        await store.index_doc(
            "c", str(n), {"title": _text(rng, 3), "body": _text(rng, 9), "summary": _text(rng, 4)}
        )
    store.refresh("c")
    return store


def _ranked(store: Store, query: dict) -> list[tuple[str, float]]:
    hits = store.search("c", {"query": query, "size": 200})["hits"]["hits"]
    return [(h["_id"], h["_score"]) for h in hits]


def _without_term_index(store: Store) -> None:
    snapshot = store.indices["c"].snapshot
    snapshot.terms = None
    snapshot.cache.clear()
    store.results.clear()


async def test_scores_identical_with_and_without_the_term_index():
    store = await _corpus()
    indexed = {str(q): _ranked(store, q) for q in QUERIES}
    _without_term_index(store)
    scanned = {str(q): _ranked(store, q) for q in QUERIES}
    for q in QUERIES:
        assert indexed[str(q)] == scanned[str(q)], q  # exact floats, same order
    assert all(indexed[str(q)] for q in QUERIES)  # every query matched something


async def test_postings_follow_updates_and_deletes():
    store = await _corpus()
    index = store.indices["c"]
    spec = index.mapping.field("body")
    fp = index.snapshot.postings(spec)
    fresh = TermIndex()
    fresh.refreshed(index.snapshot, set(index.snapshot.docs), [spec])
    assert fresh.step(10_000)
    rebuilt = fresh.field(spec, index.snapshot)
    assert {t: set(d) for t, d in fp.postings.items()} == {t: set(d) for t, d in rebuilt.postings.items()}
    assert (fp.count, fp.total) == (rebuilt.count, rebuilt.total)
    live = set(index.snapshot.docs.values())
    assert all(doc in live for holders in fp.postings.values() for doc in holders)
    assert "3" not in {d.id for holders in fp.postings.values() for d in holders}  # deleted


async def test_selective_query_scores_only_its_postings():
    store = Store()
    await store.open()
    for n in range(300):
        await store.index_doc("s", str(n), {"body": "needle here" if n % 50 == 0 else "common words"})
    store.refresh("s")
    index = store.indices["s"]
    ctx = Ctx(index, index.snapshot)
    visited = searched_docs(parse_query({"match": {"body": "needle"}}), ctx)
    assert [d.id for d in visited] == ["0", "50", "100", "150", "200", "250"]
    assert searched_docs(parse_query({"match": {"body": "absent"}}), ctx) == []
    assert len(searched_docs(parse_query({"match_all": {}}), ctx)) == 300


async def test_point_in_time_on_an_older_snapshot_scans_it():
    store = Store()
    await store.open()
    for n in range(20):
        await store.index_doc("p", str(n), {"body": "old text" if n < 10 else "other"}, refresh=True)
    pit = store.open_pit("p", "1m")["id"]
    before = store.search(None, {"query": {"match": {"body": "old"}}, "pit": {"id": pit}, "size": 50})
    for n in range(10):
        await store.index_doc("p", str(n), {"body": "new text"})
    store.refresh("p")
    after_pit = store.search(None, {"query": {"match": {"body": "old"}}, "pit": {"id": pit}, "size": 50})
    assert [h["_id"] for h in after_pit["hits"]["hits"]] == [h["_id"] for h in before["hits"]["hits"]]
    assert [h["_score"] for h in after_pit["hits"]["hits"]] == [h["_score"] for h in before["hits"]["hits"]]
    assert store.search("p", {"query": {"match": {"body": "old"}}})["hits"]["total"]["value"] == 0
    assert store.count("p", {"query": {"match": {"body": "new"}}})["count"] == 10


async def test_server_analyses_in_the_background_once_writes_stop(es_standin, es_client):
    ops = []
    for n in range(200):
        ops += [{"index": {"_index": "bg", "_id": str(n)}}, {"body": f"word{n % 13} shared text"}]
    await es_client.bulk(operations=ops, refresh=True)
    index = es_standin.store.indices["bg"]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60  # a hang guard: the loop ends as soon as the index is done
    while not index.terms.done:  # no query has run: only the background analyser can finish it
        assert loop.time() < deadline, "the term index was not built in the background"
        await asyncio.sleep(0.02)
    fp = index.terms.fields["body"]
    assert len(fp.holders("shared")) == 200 and len(fp.holders("word0")) == 16
    got = await es_client.search(index="bg", query={"match": {"body": "word3"}}, size=50)
    assert got["hits"]["total"]["value"] == 16
