"""Statuses and versions as the endpoints expose them: drafts, trash, archive, history."""

from __future__ import annotations

import json

from tests.confluence_mock.helpers import Api


def first(site, **attrs):
    return next(c for c in site.contents.values() if all(getattr(c, k, None) == v for k, v in attrs.items()))


async def test_search_widens_statuses_with_cqlcontext_and_archived_spaces_on_request(
    cloud_admin, confluence_cloud
):
    site = confluence_cloud.site
    trashed = first(site, type="page", status="trashed", space_key="ENG")
    cql = f"id={trashed.id}"
    assert await cloud_admin.walk_v1("/wiki/rest/api/content/search", {"cql": cql}) == []
    context = json.dumps({"contentStatuses": ["current", "trashed"]})
    found = await cloud_admin.walk_v1("/wiki/rest/api/content/search", {"cql": cql, "cqlcontext": context})
    assert [r["id"] for r in found] == [trashed.id] and found[0]["status"] == "trashed"
    status, body, _ = await cloud_admin.get(
        "/wiki/rest/api/content/search", {"cql": cql, "cqlcontext": "{oops"}
    )
    assert status == 400 and "cqlcontext" in body["message"]

    archived_page = first(site, type="page", space_key="ARCH", status="current")
    cql = f"id={archived_page.id}"
    assert (await cloud_admin.ok("/wiki/rest/api/search", {"cql": cql}))["totalSize"] == 0
    body = await cloud_admin.ok("/wiki/rest/api/search", {"cql": cql, "includeArchivedSpaces": "true"})
    assert body["totalSize"] == 1


async def test_drafts_only_for_their_author_and_only_on_request(http, confluence_cloud):
    site = confluence_cloud.site
    draft = first(site, type="page", status="draft")
    author = site.user(draft.created_by)
    mine = Api(http, confluence_cloud, confluence_cloud.auth_headers(author.username))
    assert (await mine.get(f"/wiki/api/v2/pages/{draft.id}"))[0] == 404
    body = await mine.ok(f"/wiki/api/v2/pages/{draft.id}", {"get-draft": "true"})
    assert body["status"] == "draft"
    other = "admin" if author.username != "admin" else "bob"
    theirs = Api(http, confluence_cloud, confluence_cloud.auth_headers(other))
    assert (await theirs.get(f"/wiki/api/v2/pages/{draft.id}", {"get-draft": "true"}))[0] == 404
    listed = await mine.walk_v2("/wiki/api/v2/pages", {"limit": 250})
    assert draft.id not in {p["id"] for p in listed}


async def test_historical_versions(http, confluence_cloud, cloud_admin):
    async with http.post(confluence_cloud.url + "/__admin/mutate",
                         json=[{"op": "create_page", "space_key": "ENG", "title": "V"}]) as resp:  # fmt: skip
        page_id = (await resp.json())["results"][0]["id"]
    async with http.post(confluence_cloud.url + "/__admin/mutate",
                         json={"op": "update", "id": page_id, "title": "V2", "message": "second"}) as resp:  # fmt: skip
        assert resp.status == 200
    old = await cloud_admin.ok(f"/wiki/api/v2/pages/{page_id}", {"version": 1})
    assert old["status"] == "historical" and old["version"]["number"] == 1
    assert (await cloud_admin.get(f"/wiki/api/v2/pages/{page_id}", {"version": 9}))[0] == 404
    v1 = await cloud_admin.ok(f"/wiki/rest/api/content/{page_id}", {"version": 1, "expand": "version"})
    assert v1["status"] == "historical" and v1["version"]["number"] == 1
    versions = await cloud_admin.walk_v1(f"/wiki/rest/api/content/{page_id}/version")
    assert [v["number"] for v in versions] == [2, 1] and versions[0]["message"] == "second"
    history = await cloud_admin.ok(
        f"/wiki/rest/api/content/{page_id}", {"expand": "history.lastUpdated,history.previousVersion"}
    )
    assert history["history"]["lastUpdated"]["number"] == 2
    assert history["history"]["previousVersion"]["number"] == 1


async def test_v1_status_parameter(dc_admin, confluence_dc):
    site = confluence_dc.site
    trashed = first(site, type="page", status="trashed")
    assert (await dc_admin.get(f"/rest/api/content/{trashed.id}"))[0] == 404
    assert (await dc_admin.ok(f"/rest/api/content/{trashed.id}", {"status": "trashed"}))[
        "status"
    ] == "trashed"
    assert (await dc_admin.ok(f"/rest/api/content/{trashed.id}", {"status": "any"}))["id"] == trashed.id
    listed = await dc_admin.walk_v1("/rest/api/content", {"type": "page", "status": "trashed", "limit": 200})
    assert trashed.id in {p["id"] for p in listed} and {p["status"] for p in listed} == {"trashed"}
    status, body, _ = await dc_admin.get("/rest/api/content", {"status": "gone"})
    assert status == 400 and "gone" in body["message"]


async def test_v2_versions_listing(cloud_admin, confluence_cloud):
    site = confluence_cloud.site
    page = max((c for c in site.contents.values() if c.type == "page" and c.status == "current"
                and c.space_key == "OPS"), key=lambda c: c.version.number)  # fmt: skip
    listed = await cloud_admin.walk_v2(f"/wiki/api/v2/pages/{page.id}/versions", {"limit": 1})
    assert [v["number"] for v in listed] == list(range(page.version.number, 0, -1))
    assert listed[0]["page"]["id"] == page.id
    oldest_first = await cloud_admin.walk_v2(
        f"/wiki/api/v2/pages/{page.id}/versions", {"sort": "modified-date"}
    )
    assert [v["number"] for v in oldest_first] == list(range(1, page.version.number + 1))
