"""Cloud v1 (``/wiki/rest/api``) and Data Center (``/rest/api``): content, search, expansions,
restrictions, spaces, users and groups."""

from __future__ import annotations

import pytest

from fixtures.confluence.expected import expected_ids
from fixtures.confluence.permissions import can_view
from tests.confluence_mock.helpers import Api

# Documented v1 shapes (Content, ContentArray, ContentRestriction, error envelope).
CONTENT_BASE_KEYS = {"id", "type", "status", "title", "_expandable", "_links"}
LIST_KEYS = {"results", "start", "limit", "size", "_links"}
ERROR_KEYS = {"statusCode", "data", "message", "reason"}
ERROR_DATA_KEYS = {"authorized", "valid", "allowedInReadOnlyMode", "errors", "successful"}
RESTRICTION_KEYS = {"operation", "restrictions", "_expandable", "_links"}


def api(mock) -> str:
    return "/wiki/rest/api" if mock.flavor == "cloud" else "/rest/api"


@pytest.fixture(params=["cloud", "datacenter"])
async def admin_api(request, http, confluence_factory):
    """The admin of a freshly started mock of each flavour (for behaviour shared by both)."""
    mock = await confluence_factory(flavor=request.param)
    return Api(http, mock, mock.auth_headers("admin"))


def by_title(site, title):
    return next(c for c in site.contents.values() if c.title == title)


async def test_content_list_envelope_and_paging(admin_api):
    mock = admin_api.mock
    base = api(mock)
    body = await admin_api.ok(f"{base}/content", {"type": "page", "limit": 10})
    assert set(body) == LIST_KEYS
    assert body["size"] == 10 and body["start"] == 0 and body["limit"] == 10
    links = body["_links"]
    assert links["base"] == mock.base_url
    assert links["self"] == mock.base_url + "/rest/api/content?type=page&limit=10"
    assert links["context"] == ("/wiki" if mock.flavor == "cloud" else "")
    assert links["next"].startswith("/rest/api/content?") and "start=10" in links["next"]
    pages = await admin_api.walk_v1(f"{base}/content", {"type": "page", "limit": 50, "spaceKey": "ENG"})
    site = mock.site
    admin = site.user_by_username("admin")
    expected = [cid for cid in site.space_content_ids("ENG", "page")
                if site.contents[cid].status in ("current", "archived")
                and can_view(site, admin, site.contents[cid])]  # fmt: skip
    assert [p["id"] for p in pages] == expected
    assert set(pages[0]) >= CONTENT_BASE_KEYS


async def test_expansions(admin_api):
    mock = admin_api.mock
    site = mock.site
    deep = max((c for c in site.contents.values() if c.type == "page" and c.status == "current"
                and can_view(site, site.user_by_username("admin"), c)), key=site.depth)  # fmt: skip
    expand = ",".join([
        "body.storage", "version", "ancestors", "history.lastUpdated", "space", "children.comment",
        "children.attachment", "metadata.labels", "restrictions.read.restrictions.user",
        "restrictions.read.restrictions.group", "container",
    ])  # fmt: skip
    body = await admin_api.ok(f"{api(mock)}/content/{deep.id}", {"expand": expand})
    assert body["body"]["storage"] == {
        "value": site.body_of(deep),
        "representation": "storage",
        "embeddedContent": [],
        "_expandable": {"content": f"/rest/api/content/{deep.id}"},
    }
    assert [a["id"] for a in body["ancestors"]] == [a.id for a in site.ancestors(deep)]
    assert body["version"]["number"] == deep.version.number
    assert set(body["version"]) >= {"by", "when", "friendlyWhen", "message", "number", "minorEdit"}
    assert body["history"]["lastUpdated"]["when"] == body["version"]["when"]
    assert body["space"]["key"] == deep.space_key and isinstance(body["space"]["id"], int)
    assert set(body["children"]["attachment"]) == LIST_KEYS
    assert set(body["children"]["comment"]) == LIST_KEYS
    assert [lbl["name"] for lbl in body["metadata"]["labels"]["results"]] == deep.labels
    read = body["restrictions"]["read"]
    assert read["operation"] == "read"
    assert set(read["restrictions"]) == {"user", "group"}
    assert "update" in body["restrictions"]["_expandable"]
    assert "history" not in body["_expandable"] and "children" not in body["_expandable"]
    assert "descendants" in body["_expandable"]
    user = body["version"]["by"]
    if mock.flavor == "cloud":
        assert {"accountId", "accountType", "displayName", "publicName"} <= set(user)
        assert "username" not in user
    else:
        assert {"username", "userKey", "displayName"} <= set(user)
        assert "accountId" not in user


async def test_nested_ancestor_restrictions_expansion(cloud_admin, confluence_cloud):
    site = confluence_cloud.site
    leads = by_title(site, "Engineering Leads")
    child = site.contents[site.child_ids(leads.id)[0]]
    body = await cloud_admin.ok(
        f"/wiki/rest/api/content/{child.id}",
        {"expand": "ancestors.restrictions.read.restrictions.group"},
    )
    ancestor = next(a for a in body["ancestors"] if a["id"] == leads.id)
    groups = ancestor["restrictions"]["read"]["restrictions"]["group"]["results"]
    assert [g["name"] for g in groups] == [site.group(g).name for g in leads.read_restriction.groups]
    assert {"type", "name", "id"} <= set(groups[0])


async def test_restriction_endpoints(admin_api):
    mock = admin_api.mock
    site = mock.site
    leads = by_title(site, "Engineering Leads")
    base = f"{api(mock)}/content/{leads.id}/restriction"
    by_op = await admin_api.ok(f"{base}/byOperation")
    assert set(by_op) >= {"read", "update", "_links"}
    assert set(by_op["read"]) == RESTRICTION_KEYS
    names = [g["name"] for g in by_op["read"]["restrictions"]["group"]["results"]]
    assert names == [site.group(g).name for g in leads.read_restriction.groups]
    assert by_op["read"]["restrictions"]["group"]["limit"] == 100
    read = await admin_api.ok(f"{base}/byOperation/read")
    assert read["restrictions"] == by_op["read"]["restrictions"]
    listing = await admin_api.ok(base)
    assert [r["operation"] for r in listing["results"]] == ["read", "update"]
    assert "restrictionsHash" in listing
    status, body, _ = await admin_api.get(f"{base}/byOperation/delete")
    assert status == 400 and set(body) == ERROR_KEYS
    if mock.flavor == "datacenter":
        group = by_op["read"]["restrictions"]["group"]["results"][0]
        assert "id" not in group, "Data Center groups have names only"


async def test_children_endpoints(admin_api):
    mock = admin_api.mock
    site = mock.site
    admin = site.user_by_username("admin")
    container = next(c for c in site.contents.values() if c.type == "page" and c.status == "current"
                     and len(site.attachment_ids(c.id)) >= 2 and can_view(site, admin, c))  # fmt: skip
    base = f"{api(mock)}/content/{container.id}"
    child_map = await admin_api.ok(f"{base}/child")
    assert {"page", "comment", "attachment"} <= set(child_map["_expandable"])
    atts = await admin_api.walk_v1(f"{base}/child/attachment", {"limit": 1})
    expected = [a for a in site.attachment_ids(container.id) if site.contents[a].status == "current"]
    assert [a["id"] for a in atts] == expected
    att = atts[0]
    assert att["type"] == "attachment"
    assert {"mediaType", "fileSize", "comment"} <= set(att["extensions"])
    assert att["_links"]["download"].startswith(f"/download/attachments/{container.id}/")
    comments = await admin_api.walk_v1(f"{base}/child/comment", {"depth": "all", "location": "footer"})
    assert all(c["extensions"]["location"] == "footer" for c in comments)
    status, _, _ = await admin_api.get(f"{base}/child/widget")
    assert status == 400


async def test_search_cloud_pages_by_cursor_to_the_end(cloud_admin, confluence_cloud):
    site = confluence_cloud.site
    admin = site.user_by_username("admin")
    results = await cloud_admin.walk_v1("/wiki/rest/api/content/search", {"cql": "type=page", "limit": 40})
    assert [r["id"] for r in results] == expected_ids(site, admin)["page"]
    first = await cloud_admin.ok(
        "/wiki/rest/api/content/search", {"cql": "type=page", "limit": 40, "start": 80}
    )
    assert first["start"] == 0, "Cloud search ignores start"
    assert "cursor=" in first["_links"]["next"]
    for kind in ("blogpost", "comment", "attachment"):
        found = await cloud_admin.walk_v1(
            "/wiki/rest/api/content/search", {"cql": f"type={kind}", "limit": 100}
        )
        assert sorted(r["id"] for r in found) == expected_ids(site, admin)[kind], kind


async def test_search_dc_pages_by_start_and_caps_limit_by_expansion(dc_admin, confluence_dc):
    site = confluence_dc.site
    admin = site.user_by_username("admin")
    results = await dc_admin.walk_v1("/rest/api/content/search", {"cql": "type=page", "limit": 60})
    assert [r["id"] for r in results] == expected_ids(site, admin)["page"]
    page2 = await dc_admin.ok("/rest/api/content/search", {"cql": "type=page", "limit": 10, "start": 10})
    assert page2["start"] == 10 and [r["id"] for r in page2["results"]] == [r["id"] for r in results[10:20]]
    capped = await dc_admin.ok(
        "/rest/api/content/search", {"cql": "type=page", "limit": 500, "expand": "body.storage"}
    )
    assert capped["limit"] == 50 and len(capped["results"]) == 50
    capped = await dc_admin.ok(
        "/rest/api/content/search", {"cql": "type=page", "limit": 500, "expand": "version"}
    )
    assert capped["limit"] == 200


async def test_search_with_order_and_dates(admin_api):
    mock = admin_api.mock
    base = api(mock)
    results = await admin_api.walk_v1(
        f"{base}/content/search",
        {"cql": "type=page and space='ENG' and lastmodified >= '2024-01-01' order by lastmodified asc",
         "expand": "version", "limit": 100},
    )  # fmt: skip
    stamps = [r["version"]["when"] for r in results]
    assert stamps and stamps == sorted(stamps) and stamps[0] >= "2024-01-01"
    site = mock.site
    page = by_title(site, "Engineering Home")
    tree = await admin_api.walk_v1(f"{base}/content/search", {"cql": f"(ancestor={page.id} or id={page.id})"})
    assert page.id in {r["id"] for r in tree}
    under = {r["id"] for r in tree} - {page.id}

    def chain(item):  # attachments and comments sit below their container's chain
        holder = site.container(item)
        return [*chain(holder), holder] if holder is not None else site.ancestors(item)

    assert all(page.id in [a.id for a in chain(site.contents[i])] for i in under)
    assert {site.contents[i].type for i in under} >= {"page", "attachment"}


async def test_invalid_cql_is_a_400_naming_the_problem(admin_api):
    base = api(admin_api.mock)
    for cql, problem in (("type = page and colour = red", "unknown field 'colour'"),
                         ("type = page and", "expected a field name"),
                         ("text = foo", "operator '='")):  # fmt: skip
        status, body, _ = await admin_api.get(f"{base}/content/search", {"cql": cql})
        assert status == 400
        assert set(body) == ERROR_KEYS and set(body["data"]) == ERROR_DATA_KEYS
        assert body["statusCode"] == 400 and body["reason"] == "Bad Request"
        assert body["message"].startswith(f"Could not parse cql : {cql}")
        assert problem in body["message"]
    status, body, _ = await admin_api.get(f"{base}/content/search")
    assert status == 400 and "cql" in body["message"]


async def test_search_endpoint_wrapper(cloud_admin):
    body = await cloud_admin.ok("/wiki/rest/api/search", {"cql": "type=blogpost", "limit": 5})
    assert {"results", "start", "limit", "size", "totalSize", "cqlQuery", "searchDuration", "_links"} == set(
        body
    )
    item = body["results"][0]
    assert {"content", "title", "excerpt", "url", "resultGlobalContainer", "breadcrumbs", "entityType",
            "iconCssClass", "lastModified", "friendlyLastModified", "score"} == set(item)  # fmt: skip
    assert item["entityType"] == "content" and item["content"]["type"] == "blogpost"


async def test_not_found_body(admin_api):
    status, body, _ = await admin_api.get(f"{api(admin_api.mock)}/content/123")
    assert status == 404
    assert set(body) == ERROR_KEYS and body["data"]["successful"] is False
    assert body["message"] == "No content found with id : ContentId{id=123}"
    assert body["reason"] == "Not Found"


async def test_spaces(admin_api):
    mock = admin_api.mock
    base = api(mock)
    spaces = await admin_api.walk_v1(f"{base}/space", {"limit": 4})
    assert {s["key"] for s in spaces} >= {"ENG", "OPS", "HR", "PUB", "ARCH"}
    eng = await admin_api.ok(f"{base}/space/ENG", {"expand": "description.plain,homepage,metadata.labels"})
    assert eng["homepage"]["id"] == mock.site.space("ENG").homepage_id
    assert eng["description"]["plain"]["representation"] == "plain"
    status, body, _ = await admin_api.get(f"{base}/space", {"expand": "permissions"})
    if mock.flavor == "cloud":
        assert status == 200
        perms = body["results"][0]["permissions"]
        assert any(p["operation"] == {"operation": "read", "targetType": "space"} for p in perms)
    else:
        assert status == 500, "Data Center answers expand=permissions with 500 (CONFSERVER-99908)"
    content = await admin_api.ok(f"{base}/space/ENG/content/page", {"depth": "root", "limit": 100})
    assert content["results"] and all(r["type"] == "page" for r in content["results"])


async def test_dc_space_permissions_endpoint(dc_admin, confluence_dc, http):
    body = await dc_admin.ok("/rest/api/space/ENG/permissions")
    assert body and {"operation", "subject", "spaceKey", "spaceId"} <= set(body[0])
    alice = Api(http, confluence_dc, confluence_dc.auth_headers("alice"))
    status, _, _ = await alice.get("/rest/api/space/ENG/permissions")
    assert status == 500


async def test_users_and_groups_cloud(cloud_admin, confluence_cloud):
    site = confluence_cloud.site
    alice = site.user_by_username("alice")
    user = await cloud_admin.ok("/wiki/rest/api/user", {"accountId": alice.account_id})
    assert user["accountId"] == alice.account_id and user["displayName"] == alice.display_name
    me = await cloud_admin.ok("/wiki/rest/api/user/current")
    assert me["accountId"] == site.user_by_username("admin").account_id
    groups = await cloud_admin.walk_v1("/wiki/rest/api/user/memberof", {"accountId": alice.account_id})
    assert {g["id"] for g in groups} == site.groups_of(alice.id)
    eng = site.group_by_name("engineering")
    members = await cloud_admin.walk_v1(f"/wiki/rest/api/group/{eng.id}/membersByGroupId", {"limit": 2})
    assert [m["accountId"] for m in members] == [site.user(u).account_id for u in eng.members]
    by_name = await cloud_admin.walk_v1("/wiki/rest/api/group/member", {"name": "engineering"})
    assert by_name == members
    all_groups = await cloud_admin.walk_v1("/wiki/rest/api/group")
    assert {g["name"] for g in all_groups} == {g.name for g in site.groups.values()}
    status, body, _ = await cloud_admin.get("/wiki/rest/api/user", {"accountId": "nobody"})
    assert status == 404 and body["statusCode"] == 404


async def test_users_and_groups_dc(dc_admin, confluence_dc):
    site = confluence_dc.site
    bob = site.user_by_username("bob")
    user = await dc_admin.ok("/rest/api/user", {"username": "bob"})
    assert user["username"] == "bob" and user["userKey"] == bob.user_key and "accountId" not in user
    assert (await dc_admin.ok("/rest/api/user", {"key": bob.user_key}))["username"] == "bob"
    users = await dc_admin.walk_v1("/rest/api/user/list", {"limit": 7})
    assert len(users) == len(site.users)
    members = await dc_admin.walk_v1("/rest/api/group/hr/member")
    assert "bob" in {m["username"] for m in members}
    group = await dc_admin.ok("/rest/api/group/hr")
    assert group == {"type": "group", "name": "hr", "_links": group["_links"]}
    info = await dc_admin.ok("/rest/api/server-information")
    assert info["version"]


async def test_audit_requires_admin(cloud_admin, confluence_cloud, http):
    async with http.post(confluence_cloud.url + "/__admin/mutate",
                         json={"op": "create_page", "space_key": "ENG", "title": "Audited"}) as resp:  # fmt: skip
        assert resp.status == 200
    records = await cloud_admin.walk_v1("/wiki/rest/api/audit")
    assert records[0]["summary"] == "Create page"
    assert {"author", "remoteAddress", "creationDate", "summary", "description", "category", "sysAdmin",
            "affectedObject", "changedValues", "associatedObjects"} <= set(records[0])  # fmt: skip
    alice = Api(http, confluence_cloud, confluence_cloud.auth_headers("alice"))
    status, body, _ = await alice.get("/wiki/rest/api/audit")
    assert status == 403 and body["reason"] == "Forbidden"


async def test_cloud_user_search(cloud_admin, confluence_cloud):
    site = confluence_cloud.site
    found = await cloud_admin.walk_v1("/wiki/rest/api/search/user", {"cql": "type=user", "limit": 10})
    assert {r["user"]["accountId"] for r in found} == {u.account_id for u in site.users.values() if u.active}
    assert found[0]["entityType"] == "user"
    status, body, _ = await cloud_admin.get("/wiki/rest/api/search/user", {"cql": "user.fullname ~ ann"})
    assert status == 400 and body["message"].startswith("Could not parse cql")


async def test_cloud_group_members_by_id_path(cloud_admin, confluence_cloud):
    group = confluence_cloud.site.group_by_name("hr")
    by_id = await cloud_admin.walk_v1(f"/wiki/rest/api/group/{group.id}/member")
    by_name = await cloud_admin.walk_v1("/wiki/rest/api/group/hr/member")
    assert by_id == by_name and len(by_id) == len(group.members)
    status, body, _ = await cloud_admin.get("/wiki/rest/api/group/no-such-group/member")
    assert status == 404 and "no-such-group" in body["message"]


async def test_dc_nested_group_members_are_flattened(http, dc_admin, confluence_dc):
    site = confluence_dc.site
    async with http.post(confluence_dc.url + "/__admin/mutate",
                         json={"op": "add_subgroup", "group": "hr", "subgroup": "finance"}) as resp:  # fmt: skip
        assert resp.status == 200, await resp.text()
    members = {m["username"] for m in await dc_admin.walk_v1("/rest/api/group/hr/member")}
    finance = {site.user(u).username for u in site.group_by_name("finance").members}
    assert finance and finance <= members


async def test_dc_generated_nesting_developers_in_engineering_is_flattened(dc_admin, confluence_dc):
    site = confluence_dc.site
    engineering, developers = site.group_by_name("engineering"), site.group_by_name("developers")
    assert developers.id in engineering.member_groups
    only_nested = {site.user(u).username for u in developers.members} - {
        site.user(u).username for u in engineering.members
    }
    assert only_nested  # the generated site has developers who are not direct engineering members
    listed = [m["username"] for m in await dc_admin.walk_v1("/rest/api/group/engineering/member")]
    assert len(listed) == len(set(listed))  # each user once, however many paths lead to them
    assert set(listed) == {site.user(u).username for u in site.group_member_ids(engineering.id)}
    assert only_nested <= set(listed)
