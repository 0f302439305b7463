"""The control API: mutations seen through the REST endpoints, expected counts, stats, reset."""

from __future__ import annotations

import asyncio
import threading

from fixtures.confluence import admin, mutations
from fixtures.confluence.expected import expected_counts
from tests.confluence_mock.helpers import Api


async def post(http, mock, path, payload):
    async with http.post(mock.url + path, json=payload) as resp:
        return resp.status, await resp.json()


async def test_create_update_trash_restore_purge_are_visible(http, confluence_cloud, cloud_admin):
    mock = confluence_cloud
    status, body = await post(
        http,
        mock,
        "/__admin/mutate",
        {"op": "create_page", "space_key": "ENG", "title": "Fresh page", "body": "<p>zebra</p>",
         "when": "2030-01-02T03:04:05Z"},
    )  # fmt: skip
    assert status == 200, body
    page_id = body["results"][0]["id"]
    page = await cloud_admin.ok(f"/wiki/api/v2/pages/{page_id}", {"body-format": "storage"})
    assert page["title"] == "Fresh page" and page["body"]["storage"]["value"] == "<p>zebra</p>"
    assert page["createdAt"] == "2030-01-02T03:04:05.000Z"
    found = await cloud_admin.walk_v1("/wiki/rest/api/content/search", {"cql": "text ~ zebra"})
    assert [r["id"] for r in found] == [page_id]
    recent = await cloud_admin.walk_v1(
        "/wiki/rest/api/content/search", {"cql": "lastmodified >= '2030-01-01'"}
    )
    assert [r["id"] for r in recent] == [page_id]

    status, body = await post(http, mock, "/__admin/mutate",
                              {"op": "update", "id": page_id, "title": "Renamed", "when": "2030-02-01T00:00:00Z"})  # fmt: skip
    assert status == 200 and body["results"][0]["version"] == 2
    page = await cloud_admin.ok(f"/wiki/rest/api/content/{page_id}", {"expand": "version"})
    assert page["title"] == "Renamed" and page["version"]["number"] == 2
    assert page["version"]["when"] == "2030-02-01T00:00:00.000Z"

    assert (await post(http, mock, "/__admin/mutate", {"op": "trash", "id": page_id}))[0] == 200
    assert (await cloud_admin.get(f"/wiki/api/v2/pages/{page_id}"))[0] == 404
    trashed = await cloud_admin.ok(f"/wiki/api/v2/pages/{page_id}", {"status": "trashed"})
    assert trashed["status"] == "trashed"
    assert await cloud_admin.walk_v1("/wiki/rest/api/content/search", {"cql": f"id={page_id}"}) == []

    assert (await post(http, mock, "/__admin/mutate", {"op": "restore", "id": page_id}))[0] == 200
    assert (await cloud_admin.get(f"/wiki/api/v2/pages/{page_id}"))[0] == 200

    batch = [{"op": "trash", "id": page_id}, {"op": "purge", "id": page_id}]
    status, body = await post(http, mock, "/__admin/mutate", {"mutations": batch})
    assert status == 200 and len(body["results"]) == 2
    assert (await cloud_admin.get(f"/wiki/api/v2/pages/{page_id}", {"status": "trashed"}))[0] == 404


async def test_restriction_and_membership_changes_apply_at_once(http, confluence_dc):
    mock = confluence_dc
    site = mock.site
    bob = Api(http, mock, mock.auth_headers("bob"))
    home = site.space("ENG").homepage_id
    assert (await bob.get(f"/rest/api/content/{home}"))[0] == 200
    status, _ = await post(http, mock, "/__admin/mutate",
                           {"op": "set_restrictions", "id": home, "operation": "read", "users": ["alice", "admin"]})  # fmt: skip
    assert status == 200
    assert (await bob.get(f"/rest/api/content/{home}"))[0] == 404
    by_op = await Api(http, mock, mock.auth_headers("admin")).ok(
        f"/rest/api/content/{home}/restriction/byOperation"
    )
    names = {u["username"] for u in by_op["read"]["restrictions"]["user"]["results"]}
    assert names == {"alice", "admin"}

    hr_page = next(c for c in site.contents.values() if c.space_key == "HR" and c.type == "page"
                   and c.status == "current" and c.read_restriction is None)  # fmt: skip
    alice = Api(http, mock, mock.auth_headers("alice"))
    assert (await alice.get(f"/rest/api/content/{hr_page.id}"))[0] == 404
    assert (
        await post(http, mock, "/__admin/mutate", {"op": "add_group_member", "group": "hr", "user": "alice"})
    )[0] == 200
    assert (await alice.get(f"/rest/api/content/{hr_page.id}"))[0] == 200


async def test_bad_mutations_are_refused_naming_the_problem(http, confluence_cloud):
    status, body = await post(http, confluence_cloud, "/__admin/mutate", {"op": "explode"})
    assert status == 400 and "unknown mutation op 'explode'" in body["error"]
    status, body = await post(http, confluence_cloud, "/__admin/mutate", [{"op": "trash", "id": "1"}])
    assert status == 404  # a missing target is "not found", unlike a malformed mutation
    assert "no content with id '1'" in body["error"]
    status, body = await post(
        http, confluence_cloud, "/__admin/mutate",
        [{"op": "create_page", "space_key": "ENG", "title": "ok"}, {"op": "create_page", "space_key": "ENG"}],
    )  # fmt: skip
    assert status == 400 and body["error"].startswith("mutations[1]:") and "1 earlier" in body["error"]
    async with http.post(confluence_cloud.url + "/__admin/mutate", data=b"{not json") as resp:
        assert resp.status == 400 and "not valid JSON" in (await resp.json())["error"]


async def test_expected_counts_endpoint(http, confluence_cloud):
    site = confluence_cloud.site
    async with http.get(confluence_cloud.url + "/__admin/expected", params={"user": "alice"}) as resp:
        body = await resp.json()
    assert body == {"user": "alice", "counts": expected_counts(site, site.user_by_username("alice"))}
    async with http.get(confluence_cloud.url + "/__admin/expected", params={"user": "anonymous"}) as resp:
        assert (await resp.json())["counts"] == expected_counts(site, None)
    async with http.get(confluence_cloud.url + "/__admin/expected", params={"user": "nobody"}) as resp:
        assert resp.status == 404 and "nobody" in (await resp.json())["error"]


async def test_stats_count_requests_per_endpoint(http, confluence_cloud, cloud_admin):
    for _ in range(3):
        await cloud_admin.ok("/wiki/api/v2/pages", {"limit": 1})
    await cloud_admin.get("/wiki/api/v2/pages/1")
    async with http.get(confluence_cloud.url + "/__admin/stats") as resp:
        stats = await resp.json()
    assert stats["endpoints"]["GET /wiki/api/v2/pages"] == 3
    assert stats["endpoints"]["GET /wiki/api/v2/pages/{id}"] == 1
    assert stats["statuses"] == {"200": 3, "404": 1}
    assert stats["total"] == 4


async def test_reset_restores_the_generated_site(http, confluence_cloud, cloud_admin):
    before = await cloud_admin.walk_v1("/wiki/rest/api/content/search", {"cql": "type=page", "limit": 200})
    await post(
        http, confluence_cloud, "/__admin/mutate", {"op": "create_page", "space_key": "ENG", "title": "X"}
    )
    status, body = await post(http, confluence_cloud, "/__admin/reset", {})
    assert status == 200 and body["reset"] is True
    async with http.get(confluence_cloud.url + "/__admin/stats") as resp:
        assert (await resp.json())["total"] == 0
    after = await cloud_admin.walk_v1("/wiki/rest/api/content/search", {"cql": "type=page", "limit": 200})
    assert after == before


async def test_identities(http, confluence_dc):
    async with http.get(confluence_dc.url + "/__admin/identities") as resp:
        body = await resp.json()
    admin = body["identities"][0]
    assert admin["username"] == "admin" and admin["password"] == "changeme"
    assert admin["personal_access_token"] == "changeme-pat"


async def test_label_changes_reach_cql_text_search_at_once(http, confluence_cloud, cloud_admin):
    """Labels change without a new version: cached search text must not hide the change."""
    mock = confluence_cloud
    home = mock.site.space("ENG").homepage_id
    search = "/wiki/rest/api/content/search"
    assert await cloud_admin.walk_v1(search, {"cql": "text ~ quokkafollowup"}) == []  # texts now cached
    status, body = await post(http, mock, "/__admin/mutate",
                              {"op": "set_labels", "id": home, "labels": ["quokkafollowup"]})  # fmt: skip
    assert status == 200, body
    for cql in ("text ~ quokkafollowup", "label = quokkafollowup"):
        assert [r["id"] for r in await cloud_admin.walk_v1(search, {"cql": cql})] == [home], cql
    status, body = await post(http, mock, "/__admin/mutate", {"op": "set_labels", "id": home, "labels": []})
    assert status == 200, body
    assert await cloud_admin.walk_v1(search, {"cql": "text ~ quokkafollowup"}) == []


class _BlockingCount:
    """Stands in for expected_counts: the first call blocks (in whatever thread runs it) until
    the test releases it, then counts for real; a bounded wait so a blocked loop fails, not hangs."""

    def __init__(self):
        self.entered = threading.Event()
        self.release = threading.Event()
        self.released_in_time: bool | None = None
        self.calls = 0

    def __call__(self, site, user, **kwargs):
        self.calls += 1
        if self.calls == 1:
            self.entered.set()
            self.released_in_time = self.release.wait(timeout=60)
        return expected_counts(site, user, **kwargs)


class _SpyLock(asyncio.Lock):
    """Sets ``contended`` when someone has to wait for the lock."""

    def __init__(self):
        super().__init__()
        self.contended = asyncio.Event()

    async def acquire(self):
        if self.locked():
            self.contended.set()
        return await super().acquire()


async def _get_json(http, url, **params):
    async with http.get(url, params=params) as resp:
        return resp.status, await resp.json()


async def test_expected_counts_run_off_the_event_loop(http, confluence_cloud, monkeypatch):
    fake = _BlockingCount()
    monkeypatch.setattr(admin, "expected_counts", fake)
    counting = asyncio.create_task(_get_json(http, confluence_cloud.url + "/__admin/expected"))
    assert await asyncio.to_thread(fake.entered.wait, 60)
    status, _ = await _get_json(http, confluence_cloud.url + "/__admin/stats")  # served meanwhile
    assert status == 200
    fake.release.set()
    status, body = await counting
    assert fake.released_in_time is True
    site = confluence_cloud.site
    assert status == 200 and body["counts"] == expected_counts(site, site.user_by_username("admin"))


async def test_admin_mutations_wait_for_a_running_count(http, confluence_cloud, monkeypatch):
    mock = confluence_cloud
    site = mock.site
    before = expected_counts(site, site.user_by_username("admin"))["page"]
    fake = _BlockingCount()
    monkeypatch.setattr(admin, "expected_counts", fake)
    mock.state.write_lock = lock = _SpyLock()
    counting = asyncio.create_task(_get_json(http, mock.url + "/__admin/expected"))
    assert await asyncio.to_thread(fake.entered.wait, 60)
    mutating = asyncio.create_task(
        post(
            http, mock, "/__admin/mutate", {"op": "create_page", "space_key": "ENG", "title": "During count"}
        )
    )
    await asyncio.wait_for(lock.contended.wait(), 60)
    assert not mutating.done()
    fake.release.set()
    status, body = await counting
    assert status == 200 and body["counts"]["page"] == before and fake.calls == 1
    status, _ = await mutating
    assert status == 200
    _, body = await _get_json(http, mock.url + "/__admin/expected")
    assert body["counts"]["page"] == before + 1


async def test_in_process_change_during_a_count_is_counted_again(http, confluence_cloud, monkeypatch):
    mock = confluence_cloud
    fake = _BlockingCount()
    monkeypatch.setattr(admin, "expected_counts", fake)
    counting = asyncio.create_task(_get_json(http, mock.url + "/__admin/expected"))
    assert await asyncio.to_thread(fake.entered.wait, 60)
    mutations.create_page(mock.site, space_key="ENG", title="Made in-process during a count")
    fake.release.set()
    status, body = await counting
    site = mock.site
    assert status == 200 and fake.calls == 2
    assert body["counts"] == expected_counts(site, site.user_by_username("admin"))
