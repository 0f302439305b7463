"""The benchmark's full-walk mode follows every next link (run in-process on a small site)."""

from __future__ import annotations

import pytest

from fixtures.confluence.bench import _next_url, walk
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
