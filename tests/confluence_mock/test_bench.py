"""The benchmark's walk and endpoint modes (run in-process on a small site)."""

from __future__ import annotations

import os
import time

import pytest

from fixtures.confluence.bench import _next_url, walk
from fixtures.confluence.bench_endpoints import CpuClock, run_endpoints, sample_spaces, table
from fixtures.confluence.expected import expected_counts


def test_next_links_are_made_absolute():
    assert _next_url("http://h:1", "cloud", {"_links": {"next": "/wiki/api/v2/pages?cursor=x"}}) == (
        "http://h:1/wiki/api/v2/pages?cursor=x"
    )
    assert _next_url("http://h:1", "cloud", {"_links": {"next": "/rest/api/content/search?cursor=y"}}) == (
        "http://h:1/wiki/rest/api/content/search?cursor=y"
    )
    assert _next_url("http://h:1", "datacenter", {"_links": {"next": "/rest/api/content?start=100"}}) == (
        "http://h:1/rest/api/content?start=100"
    )
    assert _next_url("http://h:1", "cloud", {"_links": {}}) is None


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
async def test_walk_reads_whole_listings_twice_rendering_each_body_once(confluence_factory, flavor):
    mock = await confluence_factory(flavor=flavor)
    result = await walk(mock.url, flavor)
    walks = result["walks"]
    assert len(walks) == 4 and result["errors"] == 0
    first, second = walks[:2], walks[2:]
    for a, b in zip(first, second, strict=True):
        assert a["documents"] == b["documents"] > 100 and a["requests"] == b["requests"] >= 2
    admin = mock.site.user_by_username("admin")
    assert walks[1]["documents"] == expected_counts(mock.site, admin)["page"]  # CQL: what admin may see
    assert mock.state.bodies.misses <= len(mock.site.content_ids("page"))  # each body rendered once


def test_space_sample_spreads_over_the_keys_and_keeps_both_ends():
    spaces = [{"key": k} for k in ("E", "A", "C", "B", "D")]
    assert sample_spaces(spaces, 3) == ["A", "C", "E"]
    assert sample_spaces(spaces, 1) == ["A"]
    assert sample_spaces(spaces, 9) == ["A", "B", "C", "D", "E"]


def test_cpu_clock_counts_this_process_threads():
    clock = CpuClock(os.getpid())
    before = clock.seconds()
    deadline = time.process_time() + 0.05
    while time.process_time() < deadline:
        pass
    assert clock.seconds() - before >= 0.04


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
async def test_endpoint_costs_cover_what_the_connector_asks(confluence_factory, flavor):
    mock = await confluence_factory(flavor=flavor)
    result = await run_endpoints(
        mock.url, flavor, os.getpid(), spaces=3, attachments=4, auth=mock.auth_headers()["Authorization"]
    )
    rows = {row["endpoint"]: row for row in result["endpoints"]}
    assert len(result["spaces"]) == 3 and result["errors"] == 0
    assert rows["GET /rest/api/space?limit=1 (health probe)"]["requests"] == 50
    spaces = rows["GET /wiki/api/v2/spaces" if flavor == "cloud" else "GET /rest/api/space"]
    assert spaces["items"] == len([s for s in mock.site.spaces.values() if s.status == "current"])
    assert rows["content/search page (body): first page"]["requests"] == 3
    assert rows["content/search page (body): first page"]["items"] > 0
    assert ("content/search folder: first page" in rows) == (flavor == "cloud")
    first, again = rows["download attachment: first"], rows["download attachment: again"]
    assert first["requests"] == again["requests"] == 4 and first["bytes"] == again["bytes"] > 0
    assert mock.state.files.hits == 4  # the second round came from the file cache
    summaries = ("content/search with bodies, all pages", "content/search, all kinds and pages")
    singles = [r for name, r in rows.items() if name not in summaries]
    searches = [r for r in singles if r["endpoint"].startswith("content/search ")]
    assert rows[summaries[1]]["items"] == sum(r["items"] for r in searches) > 0
    assert rows[summaries[0]]["items"] == sum(r["items"] for r in searches if "(body)" in r["endpoint"])
    assert result["total"]["requests"] == sum(r["requests"] for r in singles)
    assert result["total"]["cpu_seconds"] > 0
    assert table(result).count("\n") == len(rows) + 2  # header, rule, rows, total
