"""The configuration form: view, edit, checked save; secrets never sent to the browser."""

from tests.ui.conftest import SECRET, confluence_configuration, seed_connector

GOOD = {
    "data_source": "confluence_cloud",
    "confluence_url": "https://example.atlassian.net",
    "cloud_auth_method": "api_token",
    "account_email": "me@example.com",
    "api_token": "",
    "spaces": "*",
    "max_num_of_spaces": "10",
}


async def _seed(admin, **values):
    configuration = confluence_configuration(api_token=SECRET, **values)
    return await seed_connector(admin, configuration=configuration, status="needs_configuration")


async def _stored(admin, key):
    return (await admin.connector.get(connector_id="conf-1")).body["configuration"][key]["value"]


async def test_needs_configuration_opens_in_edit_mode_without_secrets(ui, admin):
    await _seed(admin)
    page = await ui.get("/connectors/conf-1/configuration")
    assert page.status == 200
    assert 'id="config-form"' in page.body_text
    assert SECRET not in page.body_text
    assert "Leave empty to keep the stored value" in page.body_text
    # Kibana's layout rules: dependent rows are hidden until their parent has the value
    assert 'data-key="username" hidden' in page.body_text
    assert 'data-key="account_email" >' in page.body_text  # shown: the default data_source is Cloud
    assert 'data-key="account_email" hidden' not in page.body_text
    assert "Advanced configurations" in page.body_text  # retry_count / concurrent_downloads
    assert 'type="radio"' in page.body_text  # data_source has three options


async def test_view_mode_masks_sensitive_values(ui, admin):
    await _seed(admin, confluence_url="https://example.atlassian.net")
    await admin.connector.update_status(connector_id="conf-1", status="configured")
    page = await ui.get("/connectors/conf-1/configuration")
    assert 'id="config-form"' not in page.body_text and "Edit configuration" in page.body_text
    assert "********" in page.body_text
    assert "https://example.atlassian.net" in page.body_text
    assert SECRET not in page.body_text


async def test_valid_save_writes_values_and_keeps_the_secret(ui, admin):
    await _seed(admin)
    await ui.get("/connectors/conf-1/configuration")
    response = await ui.post("/connectors/conf-1/configuration", GOOD)
    assert response.status == 303, response.body_text[:2000]
    assert await _stored(admin, "confluence_url") == "https://example.atlassian.net"
    assert await _stored(admin, "max_num_of_spaces") == 10
    assert await _stored(admin, "api_token") == SECRET
    assert await _stored(admin, "index_labels") is False  # unchecked toggle
    page = await ui.follow(response)
    assert "Configuration saved" in page.body_text
    assert SECRET not in "".join(ui.bodies)


async def test_new_secret_replaces_the_stored_one(ui, admin):
    await _seed(admin)
    await ui.get("/connectors/conf-1/configuration")
    response = await ui.post("/connectors/conf-1/configuration", {**GOOD, "api_token": "new-token-value"})
    assert response.status == 303
    assert await _stored(admin, "api_token") == "new-token-value"
    page = await ui.get("/connectors/conf-1/configuration")
    assert "new-token-value" not in page.body_text


async def test_bad_values_are_refused_next_to_the_field_and_nothing_is_written(ui, admin):
    await _seed(admin)
    await ui.get("/connectors/conf-1/configuration")
    before = (await admin.connector.get(connector_id="conf-1")).body["configuration"]
    cases = [
        ({"max_num_of_spaces": "0"}, "max_num_of_spaces", "greater than 0"),
        ({"max_num_of_spaces": "ten"}, "max_num_of_spaces", "must be an integer"),
        ({"concurrent_downloads": "500"}, "concurrent_downloads", "less than 51"),
        ({"include_page_ids": "12, abc"}, "include_page_ids", "should be of type int"),
        ({"confluence_url": ""}, "confluence_url", "Confluence URL is required"),
        ({"data_source": "confluence_server", "username": ""}, "username", "is required"),
    ]
    for change, key, message in cases:
        response = await ui.post("/connectors/conf-1/configuration", {**GOOD, **change})
        assert response.status == 400, change
        assert "Nothing was saved" in response.body_text
        row = response.body_text.split(f'data-key="{key}"', 1)[1].split('class="field config-row', 1)[0]
        assert message in row, (change, row[:1500])
        assert SECRET not in response.body_text
    assert (await admin.connector.get(connector_id="conf-1")).body["configuration"] == before


async def test_connector_error_from_the_service_is_shown(ui, admin):
    await _seed(admin)
    await admin.connector.update_error(
        connector_id="conf-1", error="Confluence refused the API token (HTTP 401)"
    )
    page = await ui.get("/connectors/conf-1/configuration")
    assert "Connector error" in page.body_text
    assert "Confluence refused the API token (HTTP 401)" in page.body_text


async def test_connector_without_fields_waits_for_its_service(ui, admin):
    await seed_connector(admin)
    page = await ui.get("/connectors/conf-1/configuration")
    assert "No configuration fields" in page.body_text
    state = await ui.get("/api/connectors/conf-1/state")
    assert state.status == 200
    assert '"has_configuration": false' in state.body_text


async def test_every_page_keeps_the_secret_out(ui, admin):
    await _seed(admin)
    await admin.connector.update_status(connector_id="conf-1", status="configured")
    for path in [
        "/connectors",
        "/connectors/conf-1",
        "/connectors/conf-1/configuration",
        "/connectors/conf-1/configuration?edit=1",
        "/connectors/conf-1/scheduling",
        "/connectors/conf-1/sync-rules",
        "/connectors/conf-1/sync-rules/edit",
        "/connectors/conf-1/jobs",
        "/api/connectors/conf-1/state",
    ]:
        response = await ui.get(path)
        assert response.status == 200, path
    sync = await ui.post("/connectors/conf-1/sync", {"job_type": "full"})
    job_page = await ui.follow(sync)
    assert job_page.status == 200
    job_id = sync.headers["Location"].rsplit("/", 1)[-1]
    await ui.get(f"/api/connectors/conf-1/jobs/{job_id}")
    assert SECRET not in "".join(ui.bodies)
