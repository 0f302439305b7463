"""Cloud REST API v2 (``/wiki/api/v2``): shapes, paging, filters, permissions."""

from __future__ import annotations

from fixtures.confluence.expected import expected_ids
from fixtures.confluence.model import SPACE_ARCHIVED
from fixtures.confluence.permissions import can_view

# Key sets of Atlassian's documented v2 schemas (PageBulk, BlogPostBulk, AttachmentBulk,
# SpaceBulk, FooterCommentModel, InlineCommentModel, FolderSingle, SpacePermissionAssignment).
PAGE_KEYS = {
    "id", "status", "title", "spaceId", "parentId", "parentType", "position", "authorId", "ownerId",
    "lastOwnerId", "createdAt", "version", "body", "_links",
}  # fmt: skip
BLOGPOST_KEYS = {"id", "status", "title", "spaceId", "authorId", "createdAt", "version", "body", "_links"}
VERSION_KEYS = {"number", "createdAt", "message", "minorEdit", "authorId"}
ATTACHMENT_KEYS = {
    "id", "status", "title", "createdAt", "pageId", "blogPostId", "customContentId", "mediaType",
    "mediaTypeDescription", "comment", "fileId", "fileSize", "webuiLink", "downloadLink", "version", "_links",
}  # fmt: skip
SPACE_KEYS = {"id", "key", "name", "type", "status", "authorId", "createdAt", "homepageId", "icon", "_links"}
FOOTER_COMMENT_KEYS = {
    "id", "status", "title", "blogPostId", "pageId", "attachmentId", "customContentId", "parentCommentId",
    "version", "body", "_links",
}  # fmt: skip
INLINE_EXTRA_KEYS = {"resolutionStatus", "resolutionLastModifierId", "resolutionLastModifiedAt", "properties"}
FOLDER_KEYS = {
    "id", "type", "status", "title", "parentId", "parentType", "position", "authorId", "ownerId",
    "createdAt", "version", "_links",
}  # fmt: skip
V2 = "/wiki/api/v2"


def page_by_title(site, title):
    return next(c for c in site.contents.values() if c.title == title)


async def test_pages_walk_to_the_end_and_match_expected_ids(cloud_admin, confluence_cloud):
    site = confluence_cloud.site
    admin = site.user_by_username("admin")
    pages = await cloud_admin.walk_v2(f"{V2}/pages", {"limit": 37, "status": "current"})
    archived_space_ids = {s.id for s in site.spaces.values() if s.status == SPACE_ARCHIVED}
    got = [p["id"] for p in pages if p["spaceId"] not in archived_space_ids]
    assert got == expected_ids(site, admin)["page"]
    assert len({p["id"] for p in pages}) == len(pages), "no page served twice"
    first = pages[0]
    assert set(first) == PAGE_KEYS
    assert set(first["version"]) == VERSION_KEYS
    assert first["body"] == {}
    assert set(first["_links"]) == {"webui", "editui", "tinyui"}
    assert all(isinstance(p["id"], str) for p in pages)


async def test_default_page_status_is_current_and_archived(cloud_admin, confluence_cloud):
    pages = await cloud_admin.walk_v2(f"{V2}/pages", {"limit": 250})
    assert {p["status"] for p in pages} == {"current", "archived"}
    trashed = await cloud_admin.walk_v2(f"{V2}/pages", {"status": "trashed", "limit": 250})
    assert trashed and {p["status"] for p in trashed} == {"trashed"}


async def test_limit_is_clamped_to_250_and_defaults_to_25(cloud_admin):
    body = await cloud_admin.ok(f"{V2}/pages", {"limit": 1000})
    assert len(body["results"]) == 250
    assert "limit=250" in body["_links"]["next"]
    body = await cloud_admin.ok(f"{V2}/pages")
    assert len(body["results"]) == 25
    assert body["_links"]["base"] == cloud_admin.mock.url + "/wiki"


async def test_bad_parameters_get_v2_error_bodies(cloud_admin):
    for params, word in (
        ({"limit": "ten"}, "limit"),
        ({"limit": 0}, "limit"),
        ({"status": "bogus"}, "status"),
        ({"sort": "size"}, "sort"),
        ({"body-format": "markdown"}, "body-format"),
        ({"cursor": "garbage!"}, "cursor"),
    ):
        status, body, _ = await cloud_admin.get(f"{V2}/pages", params)
        assert status == 400, params
        (error,) = body["errors"]
        assert error["status"] == 400 and error["title"] == "Bad Request"
        assert word in error["detail"]


async def test_body_format_storage_and_single_page(cloud_admin, confluence_cloud):
    site = confluence_cloud.site
    page = page_by_title(site, "Engineering Home")
    body = await cloud_admin.ok(f"{V2}/pages/{page.id}", {"body-format": "storage", "include-labels": "true"})
    assert body["body"]["storage"]["representation"] == "storage"
    assert body["body"]["storage"]["value"] == site.body_of(page)
    assert body["_links"]["base"] == confluence_cloud.url + "/wiki"
    assert body["labels"]["results"] == [
        {"id": site.label(n).id, "name": n, "prefix": site.label(n).prefix} for n in page.labels
    ]
    assert body["version"]["number"] == page.version.number


async def test_sorting_pages(cloud_admin):
    pages = await cloud_admin.walk_v2(f"{V2}/pages", {"sort": "-modified-date", "limit": 250})
    stamps = [p["version"]["createdAt"] for p in pages]
    assert stamps == sorted(stamps, reverse=True)
    titles = [
        p["title"].lower() for p in await cloud_admin.walk_v2(f"{V2}/pages", {"sort": "title", "limit": 100})
    ]
    assert titles == sorted(titles)


async def test_restricted_page_is_404_and_absent_from_lists(cloud_admin, confluence_cloud):
    site = confluence_cloud.site
    private = page_by_title(site, "Alice Private Notes")
    status, body, _ = await cloud_admin.get(f"{V2}/pages/{private.id}")
    assert status == 404
    assert body["errors"][0]["status"] == 404
    ids = {p["id"] for p in await cloud_admin.walk_v2(f"{V2}/pages", {"limit": 250})}
    assert private.id not in ids
    alice = cloud_admin.__class__(
        cloud_admin.session, confluence_cloud, confluence_cloud.auth_headers("alice")
    )
    assert (await alice.get(f"{V2}/pages/{private.id}"))[0] == 200


async def test_spaces_filters_and_shapes(cloud_admin, confluence_cloud):
    spaces = await cloud_admin.walk_v2(f"{V2}/spaces", {"limit": 5})
    assert set(spaces[0]) >= SPACE_KEYS
    keys = [s["key"] for s in spaces]
    assert "ENG" in keys and "HR" in keys
    body = await cloud_admin.ok(f"{V2}/spaces", {"keys": "ENG,OPS", "description-format": "plain"})
    assert [s["key"] for s in body["results"]] == ["ENG", "OPS"]
    assert body["results"][0]["description"]["plain"]["representation"] == "plain"
    archived = await cloud_admin.ok(f"{V2}/spaces", {"status": "archived"})
    assert [s["key"] for s in archived["results"]] == ["ARCH"]
    personal = await cloud_admin.ok(f"{V2}/spaces", {"type": "personal"})
    assert personal["results"] and all(s["type"] == "personal" for s in personal["results"])
    eng = confluence_cloud.site.space("ENG")
    single = await cloud_admin.ok(f"{V2}/spaces/{eng.id}")
    assert single["key"] == "ENG" and single["homepageId"] == eng.homepage_id


async def test_space_permissions_shape(cloud_admin, confluence_cloud):
    eng = confluence_cloud.site.space("ENG")
    perms = await cloud_admin.walk_v2(f"{V2}/spaces/{eng.id}/permissions", {"limit": 3})
    assert len(perms) == len(eng.permissions)
    assert set(perms[0]) == {"id", "principal", "operation"}
    assert set(perms[0]["principal"]) == {"type", "id"}
    assert set(perms[0]["operation"]) == {"key", "targetType"}
    assert any(p["operation"] == {"key": "read", "targetType": "space"} for p in perms)


async def test_space_pages_depth_root(cloud_admin, confluence_cloud):
    eng = confluence_cloud.site.space("ENG")
    roots = await cloud_admin.walk_v2(f"{V2}/spaces/{eng.id}/pages", {"depth": "root", "limit": 250})
    assert roots and all(p["parentId"] is None and p["parentType"] is None for p in roots)
    everything = await cloud_admin.walk_v2(f"{V2}/spaces/{eng.id}/pages", {"limit": 250})
    assert len(everything) > len(roots)
    assert {p["spaceId"] for p in everything} == {eng.id}


async def test_blogposts(cloud_admin, confluence_cloud):
    posts = await cloud_admin.walk_v2(f"{V2}/blogposts", {"limit": 50, "body-format": "storage"})
    assert set(posts[0]) == BLOGPOST_KEYS
    assert posts[0]["body"]["storage"]["value"]
    one = await cloud_admin.ok(f"{V2}/blogposts/{posts[0]['id']}")
    assert one["id"] == posts[0]["id"] and one["_links"]["base"].endswith("/wiki")
    status, _, _ = await cloud_admin.get(f"{V2}/blogposts/{posts[0]['id']}", {"sort": "title"})
    assert status == 200
    status, _, _ = await cloud_admin.get(f"{V2}/blogposts", {"sort": "title"})
    assert status == 400, "blog posts cannot be sorted by title"


async def test_children_descendants_and_ancestors(cloud_admin, confluence_cloud):
    site = confluence_cloud.site
    parent = next(c for c in site.contents.values() if c.type == "page" and len(site.child_ids(c.id)) >= 2)
    children = await cloud_admin.walk_v2(f"{V2}/pages/{parent.id}/children", {"limit": 1})
    admin = site.user_by_username("admin")
    expected = [cid for cid in site.child_ids(parent.id) if site.contents[cid].type == "page"
                and site.contents[cid].status in ("current", "archived")
                and can_view(site, admin, site.contents[cid])]  # fmt: skip
    assert [c["id"] for c in children] == expected
    assert set(children[0]) == {"id", "status", "title", "spaceId", "childPosition"}
    direct = await cloud_admin.walk_v2(f"{V2}/pages/{parent.id}/direct-children")
    assert {"id", "status", "title", "type", "spaceId", "childPosition"} == set(direct[0])
    deep = max((c for c in site.contents.values() if c.type == "page"), key=site.depth)
    chain = await cloud_admin.ok(f"{V2}/pages/{deep.id}/ancestors")
    assert [a["id"] for a in chain["results"]] == [a.id for a in site.ancestors(deep)]
    root = site.ancestors(deep)[0]
    desc = await cloud_admin.walk_v2(f"{V2}/pages/{root.id}/descendants", {"limit": 250})
    assert deep.id in {d["id"] for d in desc}
    assert max(d["depth"] for d in desc) == site.depth(deep) - site.depth(root)


async def test_folder(cloud_admin, confluence_cloud):
    site = confluence_cloud.site
    folder = next(c for c in site.contents.values() if c.type == "folder" and c.status == "current")
    body = await cloud_admin.ok(f"{V2}/folders/{folder.id}")
    assert set(body) == FOLDER_KEYS and body["type"] == "folder"


async def test_attachments(cloud_admin, confluence_cloud):
    site = confluence_cloud.site
    admin = site.user_by_username("admin")
    attachments = await cloud_admin.walk_v2(f"{V2}/attachments", {"limit": 40})
    assert set(attachments[0]) == ATTACHMENT_KEYS
    assert attachments[0]["id"].startswith("att")
    expected = set(expected_ids(site, admin)["attachment"])
    archived_keys = {s.key for s in site.spaces.values() if s.status == SPACE_ARCHIVED}
    got = {a["id"][3:] for a in attachments if site.contents[a["id"][3:]].space_key not in archived_keys}
    current_containers = {a for a in got if site.container(site.contents[a]).status == "current"}
    assert current_containers == expected
    body = await cloud_admin.ok(f"{V2}/attachments")
    assert len(body["results"]) == 50, "attachments default to 50 per page"
    page = site.contents[attachments[0]["pageId"] or attachments[0]["blogPostId"]]
    kind = "pages" if page.type == "page" else "blogposts"
    on_page = await cloud_admin.walk_v2(f"{V2}/{kind}/{page.id}/attachments")
    assert {a["id"] for a in on_page} >= {attachments[0]["id"]}
    single = await cloud_admin.ok(f"{V2}/attachments/{attachments[0]['id']}")
    assert single["fileSize"] == site.contents[attachments[0]["id"][3:]].file_size


async def test_comments(cloud_admin, confluence_cloud):
    site = confluence_cloud.site
    footer = await cloud_admin.walk_v2(f"{V2}/footer-comments", {"limit": 100, "body-format": "storage"})
    assert set(footer[0]) == FOOTER_COMMENT_KEYS
    inline = await cloud_admin.walk_v2(f"{V2}/inline-comments", {"limit": 100})
    assert inline and set(inline[0]) == FOOTER_COMMENT_KEYS | INLINE_EXTRA_KEYS
    reply = next(c for c in site.contents.values() if c.type == "comment" and c.parent_comment_id
                 and c.location == "footer" and site.container(c).type == "page"
                 and site.container(c).status == "current")  # fmt: skip
    parent = site.contents[reply.parent_comment_id]
    roots = await cloud_admin.walk_v2(f"{V2}/pages/{reply.container_id}/footer-comments")
    assert parent.id in {c["id"] for c in roots} and reply.id not in {c["id"] for c in roots}
    replies = await cloud_admin.walk_v2(f"{V2}/footer-comments/{parent.id}/children")
    assert reply.id in {c["id"] for c in replies}
    one = await cloud_admin.ok(f"{V2}/footer-comments/{reply.id}")
    assert one["parentCommentId"] == parent.id


async def test_labels(cloud_admin, confluence_cloud):
    site = confluence_cloud.site
    labels = await cloud_admin.walk_v2(f"{V2}/labels", {"limit": 10})
    assert {label["name"] for label in labels} == set(site.labels)
    assert set(labels[0]) == {"id", "name", "prefix"}
    page = next(c for c in site.contents.values() if c.type == "page" and c.labels and c.status == "current"
                and site.spaces[c.space_key].key == "ENG" and c.read_restriction is None
                and not any(a.read_restriction for a in site.ancestors(c)))  # fmt: skip
    on_page = await cloud_admin.walk_v2(f"{V2}/pages/{page.id}/labels")
    assert [label["name"] for label in on_page] == page.labels


async def test_unknown_route_is_a_v2_404(cloud_admin):
    status, body, _ = await cloud_admin.get(f"{V2}/whiteboards-nope")
    assert status == 404 and body["errors"][0]["status"] == 404
