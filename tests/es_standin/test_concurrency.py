"""Concurrent requests: no lost updates, exactly one compare-and-set winner, consistent versions."""

import asyncio

from elasticsearch import ConflictError


async def test_concurrent_indexing_of_distinct_and_same_ids(es_client):
    await asyncio.gather(*(es_client.index(index="c", id=str(i), document={"i": i}) for i in range(100)))
    results = await asyncio.gather(
        *(es_client.index(index="c", id="same", document={"i": i}) for i in range(50))
    )
    assert sorted(r["_version"] for r in results) == list(range(1, 51))
    assert len({r["_seq_no"] for r in results}) == 50
    await es_client.indices.refresh(index="c")
    assert (await es_client.count(index="c"))["count"] == 101


async def test_exactly_one_cas_winner(es_client):
    first = await es_client.index(index="c", id="cas", document={"owner": None})

    async def claim(worker):
        try:
            await es_client.index(
                index="c",
                id="cas",
                document={"owner": worker},
                if_seq_no=first["_seq_no"],
                if_primary_term=first["_primary_term"],
            )
            return worker
        except ConflictError:
            return None

    winners = [w for w in await asyncio.gather(*(claim(w) for w in range(20))) if w is not None]
    assert len(winners) == 1
    assert (await es_client.get(index="c", id="cas"))["_source"]["owner"] == winners[0]


async def test_bulks_and_searches_interleave(es_client):
    async def writer(k):
        ops = []
        for n in range(300):
            ops += [{"index": {"_index": "cc", "_id": f"{k}-{n}"}}, {"k": k}]
        return await es_client.bulk(operations=ops)

    async def reader():
        return await es_client.search(index="cc*", size=0)

    results = await asyncio.gather(*(writer(k) for k in range(4)), *(reader() for _ in range(4)))
    assert not any(r["errors"] for r in results[:4])
    await es_client.indices.refresh(index="cc")
    assert (await es_client.count(index="cc"))["count"] == 1200
