"""CQL searches narrowed by (type, space): same answers as a full scan, fresh after every change."""

from __future__ import annotations

import datetime as dt

import pytest

from fixtures.confluence import cql_dates
from fixtures.confluence.cql_eval import CqlContext, search
from fixtures.confluence.cql_parser import parse
from fixtures.confluence.cql_plan import Narrowing, narrowing
from fixtures.confluence.cql_records import RecordCache
from fixtures.confluence.generator import generate_site
from fixtures.confluence.mutations import create_page, move, set_labels

SEARCH = "/wiki/rest/api/content/search"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("type = page", Narrowing(types=frozenset({"page"}))),
        ('type = Page and space = "ENG"', Narrowing(frozenset({"page"}), frozenset({"eng"}))),
        (
            "space in (ENG, OPS) and type in (page, blogpost)",
            Narrowing(frozenset({"page", "blogpost"}), frozenset({"eng", "ops"})),
        ),  # fmt: skip
        ("(type = page and space = ENG) and label = x", Narrowing(frozenset({"page"}), frozenset({"eng"}))),
        ("type in (page, blogpost) and type = page", Narrowing(types=frozenset({"page"}))),
        ("type = page or space = ENG", Narrowing()),
        ("not type = page", Narrowing()),
        ("type != page and space = ENG", Narrowing(spaces=frozenset({"eng"}))),
        ("order by created", Narrowing()),
        ("title ~ space", Narrowing()),
    ],
)
def test_narrowing_reads_only_top_level_positive_literal_clauses(query, expected):
    assert narrowing(parse(query)) == expected


def test_contradictory_clauses_narrow_to_nothing():
    result = narrowing(parse("type = page and type = blogpost"))
    assert result.types == frozenset() and not result.is_open


@pytest.mark.parametrize(
    ("query", "matches"),
    [
        ('type = page and space = "ENG" order by created asc', True),
        ("type = comment and space = eng", True),
        ("type in (attachment, blogpost) and space in (ENG, OPS, HR)", True),
        ("space = ENG", True),
        ("type = folder", True),
        ('type = page and space = "ENG" and label = secret', True),
        ("type = page or space = OPS", True),
        ("type = page and space = NOPE", False),
        ("type = page and type = blogpost", False),
        # date bounds: the literal is read in the caller's zone, the bound must not cut it short
        ('lastmodified >= "{edge}"', True),
        ('type = page and lastmodified > "{edge}" order by lastmodified asc', True),
        ('created >= "{edge}" and lastmodified >= "{edge_day}"', True),
        ('lastmodified = "{edge_day}"', True),
        ('lastmodified >= "2999-01-01"', False),
    ],
)
@pytest.mark.parametrize("zone", ["UTC", "Pacific/Kiritimati", "Pacific/Pago_Pago"])
def test_narrowed_candidates_give_what_a_full_scan_gives(query, matches, zone):
    site = generate_site("small", 1, "cloud")
    cache = RecordCache(site)
    # an hour after one of the site's own dates: in a zone ahead of UTC, that item is after the
    # literal, so a bound taken at the literal read as UTC would wrongly leave it out
    times = sorted(c.last_modified for c in site.iter_contents())
    edge = times[len(times) // 2] + dt.timedelta(hours=1)
    query = query.format(edge=edge.strftime("%Y-%m-%d %H:%M"), edge_day=edge.strftime("%Y-%m-%d"))
    parsed = parse(query)
    context = CqlContext(now=dt.datetime(2030, 1, 1, tzinfo=dt.UTC), tz=cql_dates.zone(zone))
    narrowed = search(parsed, cache.candidates(narrowing(parsed)), context)
    full = search(parsed, cache.records(), context)
    assert [r.id for r in narrowed] == [r.id for r in full]
    assert bool(full) == matches


def test_index_follows_changes_to_the_site():
    site = generate_site("small", 1, "cloud")
    cache = RecordCache(site)
    in_ops = Narrowing(frozenset({"page"}), frozenset({"ops"}))
    before = {r.id for r in cache.candidates(in_ops)}
    page = create_page(site, space_key="OPS", title="Index me")
    assert {r.id for r in cache.candidates(in_ops)} == before | {page.id}
    moved = next(r.payload for r in cache.candidates(Narrowing(frozenset({"page"}), frozenset({"eng"}))))
    move(site, moved.id, space_key="OPS")
    after = {r.id: r for r in cache.candidates(in_ops)}
    assert moved.id in after and after[moved.id].space_key == "OPS"
    eng = {r.id for r in cache.candidates(Narrowing(frozenset({"page"}), frozenset({"eng"})))}
    assert moved.id not in eng


async def _ids(api, cql: str, **params) -> list[str]:
    return [r["id"] for r in await api.walk_v1(SEARCH, {"cql": cql, **params})]


async def test_a_change_shows_on_the_very_next_search_request(confluence_cloud, cloud_admin):
    site = confluence_cloud.site
    cql = 'type = page and space = "OPS" order by created asc'
    first = await _ids(cloud_admin, cql, limit="5")
    assert len(first) > 5  # walked several pages, the listing is cached now

    page = create_page(site, space_key="OPS", title="Index me now", when="2030-01-01T00:00:00Z")
    assert await _ids(cloud_admin, cql, limit="5") == [*first, page.id]

    set_labels(site, page.id, ["fresh-label"])
    labelled = await _ids(cloud_admin, f"{cql[: cql.index(' order')]} and label = fresh-label")
    assert labelled == [page.id]

    move(site, page.id, space_key="ENG")
    assert await _ids(cloud_admin, cql, limit="5") == first
    assert page.id in await _ids(cloud_admin, 'type = page and space = "ENG"', limit="50")
