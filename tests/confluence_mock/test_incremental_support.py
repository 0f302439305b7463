"""What incremental sync needs from the mock, through HTTP: trash listings, restore and purge,
CQL dates in the caller's time zone, ``order by lastmodified`` with its tie-break, moves and
space renames without versions on what moved along, request kinds in the stats, expected ids."""

from __future__ import annotations

import datetime as dt

import pytest

from fixtures.confluence import ConfluenceMock
from fixtures.confluence.expected import expected_ids
from tests.confluence_mock.helpers import Api


async def mutate(http, mock, *payloads) -> list[dict]:
    async with http.post(mock.url + "/__admin/mutate", json={"mutations": list(payloads)}) as resp:
        body = await resp.json()
        assert resp.status == 200, body
        return body["results"]


def api(http, mock) -> Api:
    return Api(http, mock, mock.auth_headers("admin"))


def v1(mock, path: str) -> str:
    return ("/wiki/rest/api" if mock.flavor == "cloud" else "/rest/api") + path


async def cql_ids(caller: Api, cql: str, path: str = "/content/search", **params) -> list[str]:
    found = await caller.walk_v1(v1(caller.mock, path), {"cql": cql, **params})
    return [r["content"]["id"] if "content" in r else r["id"] for r in found]


# -- trash, restore, purge ------------------------------------------------------------------


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
async def test_trash_listings_restore_and_purge(http, confluence_factory, flavor):
    mock = await confluence_factory(flavor=flavor)
    caller = api(http, mock)
    page, post, host = (
        r["id"]
        for r in await mutate(
            http,
            mock,
            {"op": "create_page", "space_key": "ENG", "title": "Soon trashed"},
            {"op": "create_blogpost", "space_key": "ENG", "title": "Soon purged"},
            {"op": "create_page", "space_key": "ENG", "title": "Keeps its file"},
        )
    )
    (att,) = await mutate(http, mock, {"op": "add_attachment", "container_id": host, "file_name": "a.txt"})
    version = (await caller.ok(v1(mock, f"/content/{page}"), {"expand": "version"}))["version"]
    await mutate(
        http,
        mock,
        {"op": "trash", "id": page},
        {"op": "trash", "id": post},
        {"op": "remove_attachment", "id": att["id"]},
    )

    for kind, wanted in (("page", page), ("blogpost", post)):
        listed = await caller.walk_v1(
            v1(mock, "/content"), {"status": "trashed", "spaceKey": "ENG", "type": kind}
        )
        assert wanted in [r["id"] for r in listed] and {r["status"] for r in listed} == {"trashed"}
    trash = await caller.walk_v1(v1(mock, "/space/ENG/content/trash"), {"limit": 1})  # by cursor
    trash_ids = [r["id"] for r in trash]
    assert {page, post} <= set(trash_ids) and trash_ids == sorted(set(trash_ids), key=int)
    assert {r["status"] for r in trash} == {"trashed"} and {r["type"] for r in trash} <= {"page", "blogpost"}
    assert await cql_ids(caller, f"id in ({page},{post})") == []  # search leaves the trash out
    widened = await cql_ids(caller, f"id in ({page},{post})", cqlcontext='{"contentStatuses":["trashed"]}')
    assert widened == sorted([page, post], key=int)
    if flavor == "cloud":
        pages = await caller.walk_v2("/wiki/api/v2/pages", {"status": "trashed"})
        assert page in {r["id"] for r in pages}
        posts = await caller.walk_v2("/wiki/api/v2/blogposts", {"status": "trashed"})
        assert post in {r["id"] for r in posts}
        files = await caller.walk_v2("/wiki/api/v2/attachments", {"status": "trashed"})
        assert f"att{att['id']}" in {r["id"] for r in files}
        assert (await caller.get(f"/wiki/api/v2/pages/{page}"))[0] == 404

    await mutate(http, mock, {"op": "restore", "id": page}, {"op": "purge", "id": post})
    restored = await caller.ok(v1(mock, f"/content/{page}"), {"expand": "version"})
    assert restored["id"] == page and restored["status"] == "current"
    assert restored["version"] == version  # a restore adds no version (assumed; see PERFORMANCE.md)
    assert (await caller.get(v1(mock, f"/content/{post}"), {"status": "trashed"}))[0] == 404
    left = {r["id"] for r in await caller.walk_v1(v1(mock, "/space/ENG/content/trash"))}
    assert left == set(trash_ids) - {page, post}
    assert await cql_ids(caller, f"id = {page}") == [page]


async def test_restore_can_add_a_version_when_asked(http, confluence_cloud):
    caller = api(http, confluence_cloud)
    (page,) = await mutate(http, confluence_cloud, {"op": "create_page", "space_key": "ENG", "title": "P"})
    await mutate(
        http,
        confluence_cloud,
        {"op": "trash", "id": page["id"]},
        {"op": "restore", "id": page["id"], "new_version": True, "when": "2031-01-01T00:00:00Z"},
    )
    body = await caller.ok(f"/wiki/rest/api/content/{page['id']}", {"expand": "version"})
    assert body["version"]["number"] == 2 and body["version"]["when"] == "2031-01-01T00:00:00.000Z"


# -- CQL dates in the caller's time zone ----------------------------------------------------


async def test_cql_dates_are_read_in_the_site_time_zone_with_daylight_saving(http, confluence_factory):
    mock = await confluence_factory(flavor="cloud", time_zone="Europe/Paris")
    caller = api(http, mock)
    summer, first, second, winter = (
        r["id"]
        for r in await mutate(
            http,
            mock,
            {"op": "create_page", "space_key": "ENG", "title": "S", "when": "2026-07-01T10:00:30Z"},
            # 2026-10-25 02:30 happens twice in Paris: 00:30Z (CEST) then 01:30Z (CET)
            {"op": "create_page", "space_key": "ENG", "title": "F", "when": "2026-10-25T00:30:00Z"},
            {"op": "create_page", "space_key": "ENG", "title": "T", "when": "2026-10-25T01:30:00Z"},
            {"op": "create_page", "space_key": "ENG", "title": "W", "when": "2026-12-01T10:00:00Z"},
        )
    )
    ids = f"id in ({summer},{first},{second},{winter})"

    async def find(clause: str) -> list[str]:
        return await cql_ids(caller, f"{ids} and {clause}")

    assert await find('lastmodified = "2026-07-01 12:00"') == [summer]  # 10:00:30Z is 12:00 in Paris
    assert await find('lastmodified > "2026-07-01 11:30"') == [summer, first, second, winter]
    assert await find('lastmodified >= "2026-07-01 12:01"') == [first, second, winter]  # minute precision
    assert await find('lastmodified >= "2026-10-25 02:30"') == [first, second, winter]  # the first 02:30
    assert await find('lastmodified > "2026-10-25 02:45"') == [second, winter]  # 00:45Z
    assert await find('lastmodified < "2026-10-25 03:00"') == [summer, first, second]  # 03:00 CET = 02:00Z
    assert await find('created = "2026-12-01 11:00"') == [winter]  # winter: UTC+1
    assert await find('created = "2026-10-25"') == [first, second]  # the local day
    me = await caller.ok("/wiki/rest/api/user/current")
    assert me["timeZone"] == "Europe/Paris"

    await mutate(http, mock, {"op": "set_user_time_zone", "user": "admin", "time_zone": "America/New_York"})
    assert await find('lastmodified = "2026-07-01 06:00"') == [summer]  # EDT, UTC-4
    assert (await caller.ok("/wiki/rest/api/user/current"))["timeZone"] == "America/New_York"
    alice = Api(http, mock, mock.auth_headers("alice"))
    assert (await alice.ok("/wiki/rest/api/user/current"))["timeZone"] == "Europe/Paris"


async def test_default_time_zone_is_utc_and_dc_users_show_none(http, confluence_cloud, confluence_dc):
    assert (await api(http, confluence_cloud).ok("/wiki/rest/api/user/current"))["timeZone"] == "UTC"
    assert "timeZone" not in await api(http, confluence_dc).ok("/rest/api/user/current")
    with pytest.raises(ValueError, match="Mars/Base"):
        ConfluenceMock(time_zone="Mars/Base")
    async with http.post(
        confluence_cloud.url + "/__admin/mutate",
        json={"op": "set_user_time_zone", "user": "admin", "time_zone": "Nowhere/Land"},
    ) as resp:
        assert resp.status == 400 and "Nowhere/Land" in (await resp.json())["error"]


# -- order by lastmodified ------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/content/search", "/search"])
async def test_order_by_lastmodified_breaks_ties_by_ascending_id(http, confluence_cloud, path):
    mock = confluence_cloud
    caller = api(http, mock)
    t = "2032-03-04T05:06:07Z"
    page, post, folder = (
        r["id"]
        for r in await mutate(
            http,
            mock,
            {"op": "create_page", "space_key": "ENG", "title": "O1", "when": t},
            {"op": "create_blogpost", "space_key": "ENG", "title": "O2", "when": t},
            {"op": "create_folder", "space_key": "ENG", "title": "O3", "when": t},
        )
    )
    (att,) = await mutate(
        http, mock, {"op": "add_attachment", "container_id": page, "file_name": "o.txt", "when": t}
    )
    (com,) = await mutate(
        http, mock, {"op": "add_comment", "container_id": page, "body": "<p>o</p>", "when": t}
    )
    await mutate(http, mock, {"op": "update", "id": page, "title": "O1b", "when": "2032-03-04T05:07:00Z"})
    cql = 'lastmodified >= "2032-03-04 05:00" order by lastmodified asc'
    expected = [post, folder, att["id"], com["id"], page]  # ties at t by id, then the later edit
    assert await cql_ids(caller, cql, path) == expected
    assert await cql_ids(caller, cql, path, limit=1) == expected  # the same when paged one by one
    desc = await cql_ids(caller, cql.replace(" asc", " desc"), path)
    assert desc == [page, post, folder, att["id"], com["id"]]  # ties stay in ascending id order


# -- moves and renames ----------------------------------------------------------------------


async def test_move_across_spaces_versions_only_the_moved_page(http, confluence_cloud):
    mock = confluence_cloud
    caller = api(http, mock)
    t0 = "2030-01-01T00:00:00Z"
    (top,) = await mutate(http, mock, {"op": "create_page", "space_key": "ENG", "title": "Mover", "when": t0})
    top = top["id"]
    (child,) = await mutate(
        http, mock, {"op": "create_page", "space_key": "ENG", "title": "Rider", "parent_id": top, "when": t0}
    )
    child = child["id"]
    ops_home = mock.site.space("OPS").homepage_id
    await mutate(
        http,
        mock,
        {"op": "move", "id": top, "space_key": "OPS", "parent_id": ops_home, "when": "2030-06-01T00:00:00Z"},
    )
    rider = await caller.ok(f"/wiki/rest/api/content/{child}", {"expand": "version,space,ancestors"})
    assert rider["space"]["key"] == "OPS" and rider["version"]["number"] == 1
    assert [a["id"] for a in rider["ancestors"]][-2:] == [ops_home, top]
    mover = await caller.ok(f"/wiki/rest/api/content/{top}", {"expand": "version"})
    assert mover["version"]["number"] == 2
    assert await cql_ids(caller, 'lastmodified >= "2030-05-01"') == [top]


async def test_space_rename_reaches_every_document_without_a_version(http, confluence_cloud):
    mock = confluence_cloud
    caller = api(http, mock)
    some = mock.site.space_content_ids("ENG", "page")[0]
    before = await caller.ok(f"/wiki/rest/api/content/{some}", {"expand": "version,space"})
    await mutate(http, mock, {"op": "rename_space", "space_key": "ENG", "name": "Engineering Renamed"})
    after = await caller.ok(f"/wiki/rest/api/content/{some}", {"expand": "version,space"})
    assert after["space"]["name"] == "Engineering Renamed" and after["version"] == before["version"]
    assert some in await cql_ids(caller, 'space.title ~ "Renamed" and type = page')


# -- stats and expected ids -----------------------------------------------------------------


async def test_stats_split_requests_by_kind(http, confluence_cloud):
    mock = confluence_cloud
    caller = api(http, mock)
    async with http.post(mock.url + "/__admin/reset") as resp:
        assert resp.status == 200
    await caller.ok("/wiki/rest/api/content/search", {"cql": 'lastmodified >= "2020-01-01"', "limit": 1})
    await caller.ok("/wiki/rest/api/search", {"cql": "type = page and created > now('-1d')", "limit": 1})
    await caller.ok("/wiki/rest/api/space/ENG/content/trash")
    await caller.ok("/wiki/api/v2/pages", {"status": "trashed", "limit": 1})
    await caller.ok("/wiki/rest/api/content/search", {"cql": "type = page", "limit": 1})
    await caller.ok("/wiki/api/v2/spaces")
    page = mock.site.space_content_ids("ENG", "page")[0]
    await caller.ok(f"/wiki/rest/api/content/{page}")
    await caller.ok(f"/wiki/api/v2/pages/{page}")
    att = mock.site.contents[next(a for a in mock.site.content_ids("attachment"))]
    async with http.get(
        f"{mock.url}/wiki/rest/api/content/{att.container_id}/child/attachment/{att.id}/download",
        headers=mock.auth_headers("admin"),
    ) as resp:
        await resp.read()
    await caller.ok("/wiki/rest/api/user/current")
    async with http.get(mock.url + "/__admin/stats") as resp:
        kinds = (await resp.json())["kinds"]
    assert kinds == {
        "change_listing": 2,
        "trash_listing": 2,
        "other_listing": 2,
        "download": 1,
        "single_content": 2,
        "other": 1,
    }


async def test_expected_ids_endpoint_follows_mutations(http, confluence_dc):
    mock = confluence_dc
    async with http.get(mock.url + "/__admin/expected-ids", params={"user": "bob"}) as resp:
        body = await resp.json()
    assert body["ids"] == expected_ids(mock.site, mock.site.user_by_username("bob"))
    (page,) = await mutate(http, mock, {"op": "create_page", "space_key": "ENG", "title": "Counted"})
    async with http.get(mock.url + "/__admin/expected-ids", params={"space_keys": "ENG"}) as resp:
        ids = (await resp.json())["ids"]
    assert page["id"] in ids["page"] and ids["space"] == ["ENG"]
    async with http.get(mock.url + "/__admin/expected-ids", params={"space_keys": "NOPE"}) as resp:
        assert resp.status == 400 and "NOPE" in (await resp.json())["error"]


def test_time_zone_reading_is_the_tz_database_not_a_fixed_offset():
    from fixtures.confluence import cql_dates

    paris = cql_dates.zone("Europe/Paris")
    jan, _ = cql_dates.parse_literal("2026-01-15 12:00", paris)
    jul, _ = cql_dates.parse_literal("2026/07/15 12:00", paris)
    assert jan.astimezone(dt.UTC).hour == 11 and jul.astimezone(dt.UTC).hour == 10
    gap, _ = cql_dates.parse_literal("2026-03-29 02:30", paris)  # does not exist: moved forward
    assert gap.astimezone(dt.UTC) == dt.datetime(2026, 3, 29, 1, 30, tzinfo=dt.UTC)
