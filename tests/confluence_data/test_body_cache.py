"""The rendered-body cache: same bytes as rendering, bounded by size, never stale."""

import pytest

from fixtures.confluence import mutations
from fixtures.confluence.body_cache import BodyCache
from fixtures.confluence.generator import generate_site


def bodied(site):
    return [c for c in site.iter_contents() if c.type != "attachment" and c.body is None]


def test_cached_bodies_are_the_rendered_bytes_and_a_second_read_renders_nothing(cloud_site):
    cache = BodyCache(cloud_site)
    items = bodied(cloud_site)
    first = [cache.body_of(c) for c in items]
    assert first == [cloud_site.body_of(c) for c in items]
    assert cache.misses == len(items) and cache.hits == 0
    assert [cache.body_of(c) for c in items] == first
    assert cache.misses == len(items) and cache.hits == len(items)
    assert cache.chars == sum(map(len, first))


def test_size_bound_drops_least_recently_used_bodies_first(cloud_site):
    items = bodied(cloud_site)[:60]
    sizes = [len(cloud_site.body_of(c)) for c in items]
    budget = sum(sizes[:20])
    cache = BodyCache(cloud_site, max_chars=budget)
    for item in items:
        cache.body_of(item)
        assert cache.chars <= budget
    assert 0 < len(cache) < len(items)
    kept = len(cache)
    cache.body_of(items[-1])  # the newest is still there
    assert cache.hits == 1
    cache.body_of(items[0])  # the oldest was dropped
    assert cache.misses == len(items) + 1 and len(cache) <= kept


def test_entry_bound_and_bodies_bigger_than_the_budget(cloud_site):
    items = bodied(cloud_site)[:10]
    cache = BodyCache(cloud_site, max_entries=3)
    for item in items:
        cache.body_of(item)
    assert len(cache) == 3
    tiny = BodyCache(cloud_site, max_chars=10)
    assert tiny.body_of(items[0]) == cloud_site.body_of(items[0])
    assert len(tiny) == 0 and tiny.chars == 0
    with pytest.raises(ValueError, match="max_chars"):
        BodyCache(cloud_site, max_chars=-1)


def test_edits_moves_and_explicit_bodies_are_never_served_stale():
    site = generate_site("small", seed=11, flavor="cloud")
    cache = BodyCache(site)
    page = next(c for c in site.iter_contents("page") if c.body is None and c.status == "current")
    before = cache.body_of(page)
    mutations.update_content(site, page.id, title="A brand new title")  # new version, no explicit body
    assert page.body is None
    after = cache.body_of(page)
    assert after == site.body_of(page) and after != before and "A brand new title" in after
    mutations.update_content(site, page.id, body="<p>explicit</p>")
    assert cache.body_of(page) == "<p>explicit</p>"


def test_default_budget_holds_a_whole_medium_site():
    """A full sync reads every body: on a medium site the second walk must render nothing."""
    site = generate_site("medium", seed=1, flavor="cloud")
    cache = BodyCache(site)
    items = bodied(site)
    assert len(items) > 4096  # more than the old fixed entry bound
    for item in items:
        cache.body_of(item)
    for item in items:
        cache.body_of(item)
    assert cache.hits == len(items) and cache.misses == len(items)
