"""Sign-in, sessions, CSRF and security headers."""

import pytest

from tests.ui.conftest import UiClient, _standin_class, confluence_configuration, make_ui, seed_connector

PAGES = [
    "/connectors",
    "/connectors/new",
    "/connectors/x",
    "/connectors/x/configuration",
    "/connectors/x/jobs",
    "/connectors/x/content",
    "/connectors/x/sync-rules",
    "/connectors/x/scheduling",
]


@pytest.mark.parametrize("path", PAGES)
async def test_pages_need_sign_in(anonymous, path):
    response = await anonymous.get(path)
    assert response.status == 303
    assert response.headers["Location"].startswith("/login?next=")


async def test_api_needs_sign_in(anonymous):
    response = await anonymous.get("/api/connectors/x/state")
    assert response.status == 401
    assert "Sign in" in response.body_text


async def test_state_changes_need_sign_in_and_write_nothing(anonymous, admin):
    await anonymous.get("/login")  # holds the sign-in form's CSRF token: only the missing session stops it
    assert anonymous.csrf
    response = await anonymous.post(
        "/connectors", {"name": "x", "service_type": "confluence", "index_name": "search-x"}
    )
    assert response.status == 303  # the session check runs before the CSRF check
    assert response.headers["Location"] == "/login?next=/"  # a POST is not replayed after sign-in
    assert (await admin.connector.list()).body["count"] == 0


async def test_sign_in_without_security_says_so_and_sets_safe_cookie(anonymous):
    page = await anonymous.get("/login")
    assert "security turned off" in page.body_text
    response = await anonymous.post("/login", {"username": "", "password": ""})
    assert response.status == 303
    assert response.headers["Location"] == "/connectors"
    cookie = response.headers["Set-Cookie"]
    assert "connectors_ui_session=" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    listing = await anonymous.follow(response)
    assert listing.status == 200
    assert "security off" in listing.body_text


async def test_sign_in_needs_its_csrf_token(anonymous):
    await anonymous.get("/login")
    response = await anonymous.post("/login", {"username": "a"}, csrf=False)
    assert response.status == 403
    assert "security token" in response.body_text


async def test_next_parameter_is_never_an_open_redirect(anonymous):
    await anonymous.get("/login?next=//evil.example/x")
    response = await anonymous.post("/login", {"next": "//evil.example/x"})
    assert response.headers["Location"] == "/connectors"


async def test_csrf_token_is_required_on_every_state_change(ui, admin):
    for path, data in [
        ("/connectors", {"name": "x", "service_type": "confluence", "index_name": "search-x"}),
        ("/logout", {}),
    ]:
        missing = await ui.post(path, data, csrf=False)
        assert missing.status == 403, path
        wrong = await ui.request("POST", path, data={**data, "_csrf": "not-the-token"})
        assert wrong.status == 403, path
    assert (await admin.connector.list()).body["count"] == 0
    assert (await ui.get("/connectors")).status == 200  # still signed in


async def test_cross_site_origin_is_refused(ui, admin):
    response = await ui.post(
        "/connectors",
        {"name": "x", "service_type": "confluence", "index_name": "search-x"},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status == 403
    assert (await admin.connector.list()).body["count"] == 0


async def test_security_headers(ui):
    response = await ui.get("/connectors")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "object-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "<script>" not in response.body_text  # no inline script


async def test_sign_out_ends_the_session(ui):
    response = await ui.post("/logout")
    assert response.status == 303
    assert (await ui.get("/connectors")).status == 303


async def test_wrong_and_right_credentials_against_a_secured_cluster():
    async with _standin_class()(port=0, username="elastic", password="changeme") as es:
        async with make_ui(es.url) as client:
            ui = UiClient(client)
            page = await ui.get("/login")
            assert "security turned off" not in page.body_text
            wrong = await ui.sign_in("elastic", "nope")
            assert wrong.status == 401
            assert "Wrong username, password or API key." in wrong.body_text
            assert (await ui.get("/connectors")).status == 303
            right = await ui.sign_in("elastic", "changeme")
            assert right.status == 303
            listing = await ui.get("/connectors")
            assert listing.status == 200
            assert "elastic" in listing.body_text
            assert "changeme" not in "".join(ui.bodies)


async def test_unreachable_elasticsearch_is_a_readable_message():
    async with make_ui("http://127.0.0.1:9") as client:
        ui = UiClient(client)
        page = await ui.get("/login")
        assert "cannot be reached" in page.body_text
        response = await ui.sign_in("a", "b")
        assert response.status == 401
        assert "cannot be reached" in response.body_text
        assert "Traceback" not in response.body_text


async def test_api_key_sign_in_against_a_secured_cluster():
    async with _standin_class()(port=0, api_key="id-1:key-secret-value") as es:
        async with make_ui(es.url) as client:
            ui = UiClient(client)
            wrong = await ui.sign_in(api_key="id-1:nope")
            assert wrong.status == 401 and "Wrong username, password or API key." in wrong.body_text
            both = await ui.sign_in(username="a", password="b", api_key="id-1:key-secret-value")
            assert both.status == 400 and "not both" in both.body_text
            nothing = await ui.sign_in()
            assert nothing.status == 401 and "requires credentials" in nothing.body_text
            right = await ui.sign_in(api_key="id-1:key-secret-value")
            assert right.status == 303
            assert (await ui.get("/connectors")).status == 200
            assert "key-secret-value" not in "".join(ui.bodies)


POSTS = [
    "/connectors/conf-1/delete",
    "/connectors/conf-1/configuration",
    "/connectors/conf-1/scheduling",
    "/connectors/conf-1/sync-rules/edit",
    "/connectors/conf-1/sync-rules/activate",
    "/connectors/conf-1/sync-rules/revert",
    "/connectors/conf-1/sync",
    "/connectors/conf-1/jobs/some-job/cancel",
]


@pytest.mark.parametrize("path", POSTS)
async def test_every_action_refuses_a_missing_or_wrong_csrf_token(ui, admin, path):
    await seed_connector(admin, configuration=confluence_configuration())
    before = (await admin.connector.get(connector_id="conf-1")).body
    data = {
        "confirm_name": "Team wiki",
        "job_type": "full",
        "type": "full",
        "interval": "0 0 1 * * ?",
        "enabled": "true",
        "advanced_snippet": "[]",
        "confluence_url": "https://x",
    }
    assert (await ui.post(path, data, csrf=False)).status == 403
    assert (await ui.request("POST", path, data={**data, "_csrf": "forged"})).status == 403
    after = (await admin.connector.get(connector_id="conf-1")).body
    assert after == before
    assert (await admin.connector.sync_job_list(connector_id="conf-1")).body["count"] == 0


async def test_elasticsearch_going_away_is_a_readable_page_not_a_traceback():
    es = await _standin_class()(port=0).start()
    try:
        async with make_ui(es.url) as client:
            ui = UiClient(client)
            assert (await ui.sign_in()).status == 303
            assert (await ui.get("/connectors")).status == 200
            await es.stop()
            page = await ui.get("/connectors")
            assert page.status == 502
            assert "Elasticsearch cannot be reached" in page.body_text
            assert "Traceback" not in page.body_text and '{"error"' not in page.body_text
            api = await ui.get("/api/connectors/x/state")
            assert api.status == 502 and "cannot be reached" in api.body_text
    finally:
        await es.stop()
