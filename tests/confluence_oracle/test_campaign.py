"""The oracle's mutation campaign against the in-process mock: ops the mock does not know are
dropped and listed (the op list is data-driven), a refused mutation is counted, not applied to the
harness's copy, and a harness copy kept beside the mock stays equal to it."""

from __future__ import annotations

import aiohttp

from fixtures.confluence.expected import expected_counts
from fixtures.confluence.generator import generate_site
from fixtures.oracle_campaign import GENERATORS, Campaign


async def test_unknown_ops_are_skipped_and_listed(confluence_cloud, monkeypatch):
    monkeypatch.setitem(GENERATORS, "bogus", (50, lambda site, rng: {"op": "no_such_op", "id": "1"}))
    # an op the mock has, with fields it does not take: another signature, dropped too
    monkeypatch.setitem(
        GENERATORS, "odd", (50, lambda site, rng: {"op": "set_labels", "id": "1", "tags": []})
    )
    lines: list[str] = []
    campaign = Campaign(
        confluence_cloud.url, confluence_cloud.site, seed=5, own_copy=False, ops=["bogus", "odd", "update"],
        log=lines.append,
    )  # fmt: skip
    async with aiohttp.ClientSession() as session:
        done = await campaign.round(session, 6)
    assert [p["op"] for p in done] == ["update"] * 6
    assert campaign.unsupported == {"bogus", "odd"} and campaign.applied == {"update": 6}
    assert not campaign.rejected
    assert any("'no_such_op' (bogus) unknown to the mock" in line for line in lines)
    assert any("'set_labels' (odd) unknown to the mock" in line and "tags" in line for line in lines)


async def test_a_refused_mutation_is_counted_and_the_copy_stays_equal(confluence_dc, monkeypatch):
    site = confluence_dc.site
    taken = next(site.contents[c] for c in site.content_ids("page") if site.contents[c].status == "current")
    monkeypatch.setitem(
        GENERATORS,
        "dup",
        (1, lambda s, rng: {"op": "create_page", "space_key": taken.space_key, "title": taken.title}),
    )
    copy = generate_site("small", 1, "datacenter")
    campaign = Campaign(confluence_dc.url, copy, seed=7, own_copy=True, ops=["dup", "create_page", "move_within", "trash"],
                        log=lambda line: None)  # fmt: skip
    async with aiohttp.ClientSession() as session:
        done = await campaign.round(session, 15)
    assert len(done) == 15 and campaign.rejected["dup"] >= 1
    admin = "admin"
    assert expected_counts(copy, copy.user_by_username(admin)) == expected_counts(
        site, site.user_by_username(admin)
    )
