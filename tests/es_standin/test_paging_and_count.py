"""Paging with search_after over many ties and both directions, and _count's match_all shortcut
(which must still honour alias filters, min_score and deletions)."""

import random

import pytest


@pytest.fixture
async def numbers(es_client):
    rng = random.Random(5)
    ops = []
    for n in range(300):
        ops.append({"index": {"_index": "numbers", "_id": f"n{n}"}})
        ops.append({"group": rng.randint(0, 9), "n": n, "meta": {"kept": n, "dropped": "x"}, "tag": "t"})
    r = await es_client.bulk(operations=ops, refresh=True)
    assert not r["errors"]
    return es_client


@pytest.mark.parametrize("order", ["asc", "desc"])
async def test_search_after_pages_cover_everything_once_in_order(numbers, order):
    sort = [{"group": order}, {"n": "asc"}]
    full = await numbers.search(index="numbers", sort=sort, size=300)
    expected = [h["_id"] for h in full["hits"]["hits"]]
    assert len(expected) == 300
    seen, after = [], None
    while True:
        kwargs = {"search_after": after} if after else {}
        page = await numbers.search(index="numbers", sort=sort, size=37, **kwargs)
        hits = page["hits"]["hits"]
        if not hits:
            break
        seen += [h["_id"] for h in hits]
        after = hits[-1]["sort"]
    assert seen == expected


async def test_search_after_with_only_the_tied_field_skips_the_whole_tie(numbers):
    page = await numbers.search(index="numbers", sort=[{"group": "asc"}], size=300, search_after=[4])
    groups = [h["_source"]["group"] for h in page["hits"]["hits"]]
    assert groups and min(groups) == 5 and groups == sorted(groups)


async def test_pit_read_with_source_includes(numbers):
    pit = await numbers.open_point_in_time(index="numbers", keep_alive="1m")
    seen, after = {}, None
    while True:
        kwargs = {"search_after": after} if after else {}
        page = await numbers.search(
            pit={"id": pit["id"], "keep_alive": "1m"},
            sort=[{"_shard_doc": "asc"}],
            size=64,
            source=["meta.kept", "tag"],
            track_total_hits=False,
            **kwargs,
        )
        hits = page["hits"]["hits"]
        for h in hits:
            seen[h["_id"]] = h["_source"]
        if len(hits) < 64:
            break
        after = hits[-1]["sort"]
    await numbers.close_point_in_time(id=pit["id"])
    assert len(seen) == 300
    assert seen["n7"] == {"meta": {"kept": 7}, "tag": "t"}


async def test_count_match_all_honours_deletes_alias_filters_and_min_score(numbers):
    assert (await numbers.count(index="numbers"))["count"] == 300
    assert (await numbers.count(index="numbers", query={"match_all": {}}))["count"] == 300
    await numbers.delete(index="numbers", id="n0", refresh=True)
    assert (await numbers.count(index="numbers"))["count"] == 299
    await numbers.indices.put_alias(index="numbers", name="low", filter={"range": {"n": {"lt": 10}}})
    assert (await numbers.count(index="low"))["count"] == 9
    assert (await numbers.count(index="numbers", query={"match_all": {"boost": 2}}, min_score=3))[
        "count"
    ] == 0
    assert (await numbers.count(index="numbers", query={"match_all": {"boost": 2}}, min_score=2))[
        "count"
    ] == 299
