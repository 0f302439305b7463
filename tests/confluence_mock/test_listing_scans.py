"""Following pages of a listing cost only their page: the site is scanned once per listing."""

from __future__ import annotations


async def test_following_pages_of_a_site_wide_listing_do_not_scan_the_site_again(
    confluence_cloud, cloud_admin, monkeypatch
):
    site = confluence_cloud.site
    scans = []
    original = site.content_ids
    monkeypatch.setattr(site, "content_ids", lambda *a, **k: scans.append(a) or original(*a, **k))
    body = await cloud_admin.ok("/wiki/api/v2/attachments", {"limit": "5"})
    for _ in range(3):
        body = await cloud_admin.ok("/wiki" + body["_links"]["next"].removeprefix("/wiki"))
    assert len(body["results"]) == 5
    assert scans == [("attachment",)]  # the first page gathered the ids; the next three did not
