"""Authentication modes, 401 bodies, anonymous access and per-caller permission trimming."""

from __future__ import annotations

import pytest

from fixtures.confluence.auth import basic_header
from fixtures.confluence.expected import expected_ids
from tests.confluence_mock.helpers import Api


async def test_cloud_basic_with_email_and_api_token(http, confluence_cloud):
    api = Api(http, confluence_cloud, {"Authorization": basic_header("admin@example.com", "changeme")})
    me = await api.ok("/wiki/rest/api/user/current")
    assert me["accountId"] == confluence_cloud.site.user_by_username("admin").account_id


async def test_cloud_rejects_password_username_and_bearer(http, confluence_cloud):
    for header in (
        basic_header("admin", "changeme"),  # a username is not a Cloud login
        basic_header("admin@example.com", "wrong-token"),
        "Bearer changeme-pat",
    ):
        api = Api(http, confluence_cloud, {"Authorization": header})
        for path in ("/wiki/rest/api/space", "/wiki/api/v2/spaces"):
            status, body, headers = await api.get(path)
            assert status == 401, (header, path)
            assert headers["WWW-Authenticate"].startswith("Basic")
            if path.startswith("/wiki/api/v2"):
                assert body["errors"][0]["status"] == 401
            else:
                assert body["statusCode"] == 401 and body["reason"] == "Unauthorized"
                assert body["data"]["authorized"] is False
            assert "wrong-token" not in str(body) and "changeme" not in str(body)


async def test_dc_basic_and_personal_access_token(http, confluence_dc):
    for header in (basic_header("admin", "changeme"), "Bearer changeme-pat"):
        api = Api(http, confluence_dc, {"Authorization": header})
        assert (await api.ok("/rest/api/user/current"))["username"] == "admin"
    for header in (basic_header("admin", "nope"), "Bearer not-a-token", basic_header("ghost", "x")):
        status, body, _ = await Api(http, confluence_dc, {"Authorization": header}).get("/rest/api/content")
        assert status == 401 and body["statusCode"] == 401


async def test_inactive_user_cannot_log_in(http, confluence_dc):
    site = confluence_dc.site
    inactive = next(u for u in site.users.values() if not u.active and u.password)
    api = Api(http, confluence_dc, {"Authorization": basic_header(inactive.username, inactive.password)})
    assert (await api.get("/rest/api/space"))[0] == 401


async def test_anonymous_sees_only_spaces_open_to_anonymous(http, confluence_cloud):
    site = confluence_cloud.site
    anonymous = Api(http, confluence_cloud)
    spaces = await anonymous.walk_v2("/wiki/api/v2/spaces")
    assert [s["key"] for s in spaces] == ["PUB"]
    results = await anonymous.walk_v1("/wiki/rest/api/content/search", {"cql": "type=page", "limit": 100})
    assert [r["id"] for r in results] == expected_ids(site, None)["page"]
    me = await anonymous.ok("/wiki/rest/api/user/current")
    assert me["type"] == "anonymous"
    status, body, _ = await anonymous.get("/wiki/rest/api/group")
    assert status == 401 and body["message"] == "Client must be authenticated to access this resource."
    eng_page = site.space("ENG").homepage_id
    assert (await anonymous.get(f"/wiki/api/v2/pages/{eng_page}"))[0] == 404
    site.anonymous_access = False
    assert await anonymous.walk_v2("/wiki/api/v2/spaces") == []


async def test_each_user_sees_their_own_site(http, confluence_cloud):
    site = confluence_cloud.site
    for name in ("admin", "alice", "bob"):
        api = Api(http, confluence_cloud, confluence_cloud.auth_headers(name))
        user = site.user_by_username(name)
        expected = expected_ids(site, user)
        for kind in ("page", "blogpost"):
            found = await api.walk_v1("/wiki/rest/api/content/search", {"cql": f"type={kind}", "limit": 200})
            assert [r["id"] for r in found] == expected[kind], (name, kind)
        spaces = {
            s["key"] for s in await api.walk_v2("/wiki/api/v2/spaces", {"status": "current", "limit": 50})
        }
        assert spaces == set(expected["space"]), name


async def test_inherited_read_restriction_hides_the_subtree(http, confluence_cloud):
    site = confluence_cloud.site
    leads = next(c for c in site.contents.values() if c.title == "Engineering Leads")
    below = site.descendant_ids(leads.id)
    assert below
    bob = Api(http, confluence_cloud, confluence_cloud.auth_headers("bob"))
    alice = Api(http, confluence_cloud, confluence_cloud.auth_headers("alice"))
    in_engineering = "engineering" in {
        site.group(g).name for g in site.groups_of(site.user_by_username("bob").id)
    }
    assert not in_engineering
    for cid in [leads.id, *below]:
        if site.contents[cid].status != "current":
            continue
        assert (await bob.get(f"/wiki/rest/api/content/{cid}"))[0] == 404
        assert (await alice.get(f"/wiki/rest/api/content/{cid}"))[0] == 200
    found = await bob.walk_v1("/wiki/rest/api/content/search", {"cql": f"ancestor={leads.id}"})
    assert found == []


async def test_restricted_blogpost_hidden_from_search_and_404_by_id(http, confluence_dc):
    site = confluence_dc.site
    post = next(
        c
        for c in site.contents.values()
        if c.type == "blogpost" and c.read_restriction and c.status == "current" and c.space_key == "ENG"
    )
    alice = Api(http, confluence_dc, confluence_dc.auth_headers("alice"))
    status, body, _ = await alice.get(f"/rest/api/content/{post.id}")
    assert status == 404 and body["message"] == f"No content found with id : ContentId{{id={post.id}}}"
    found = await alice.walk_v1("/rest/api/content/search", {"cql": f"id={post.id}"})
    assert found == []
    admin = Api(http, confluence_dc, confluence_dc.auth_headers("admin"))
    assert [r["id"] for r in await admin.walk_v1("/rest/api/content/search", {"cql": f"id={post.id}"})] == [
        post.id
    ]


async def test_identity_overrides_replace_the_default_secrets(http, confluence_factory):
    from fixtures.confluence.api_state import IdentityOverrides

    mock = await confluence_factory(
        flavor="datacenter", overrides=IdentityOverrides(username="root", password="Pw-9x", pat="Pat-9x")
    )
    for header in (basic_header("root", "Pw-9x"), "Bearer Pat-9x"):
        me = await Api(http, mock, {"Authorization": header}).ok("/rest/api/user/current")
        assert me["username"] == "root"
    for header in (
        basic_header("admin", "changeme"),
        "Bearer changeme-pat",
        basic_header("root", "changeme"),
    ):
        assert (await Api(http, mock, {"Authorization": header}).get("/rest/api/space"))[0] == 401
    async with http.get(mock.url + "/__admin/identities") as resp:
        text = await resp.text()
    assert "Pw-9x" not in text and "Pat-9x" not in text and '"root"' in text


async def test_dc_space_permissions_expansion_fails_like_confluence(dc_admin, confluence_dc):
    home = confluence_dc.site.space("ENG").homepage_id
    status, body, _ = await dc_admin.get(f"/rest/api/content/{home}", {"expand": "space.permissions"})
    assert status == 500 and body["statusCode"] == 500
    assert (await dc_admin.get(f"/rest/api/content/{home}", {"expand": "space"}))[0] == 200


async def test_admin_rename_goes_through_the_model(confluence_factory):
    from fixtures.confluence.api_state import IdentityOverrides

    mock = await confluence_factory(
        flavor="cloud", overrides=IdentityOverrides(username="root", email="Root@Example.com")
    )
    site = mock.site
    admin = site.user_by_username("root")
    assert admin is not None and site.user_by_email("root@example.com") is admin
    assert site.user_by_username("admin") is None and site.user_by_email("admin@example.com") is None
    assert admin.email == "Root@Example.com"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"username": "alice"}, "--admin-user 'alice': user"),
        ({"email": "BOB@example.com"}, "--admin-email 'BOB@example.com': user"),
    ],
)
async def test_admin_rename_to_another_users_login_is_a_clear_error(confluence_factory, overrides, message):
    from fixtures.confluence.api_state import IdentityOverrides

    with pytest.raises(ValueError, match=message) as info:
        await confluence_factory(flavor="cloud", overrides=IdentityOverrides(**overrides))
    assert "already has that" in str(info.value)


def test_admin_rename_clash_on_the_command_line_is_one_line(capsys):
    from fixtures.confluence.__main__ import main

    assert main(["--expected", "--flavor", "datacenter", "--admin-user", "bob"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --admin-user 'bob': user") and "Traceback" not in err
