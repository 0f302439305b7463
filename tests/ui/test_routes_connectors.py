"""Connectors list, create, overview and delete."""

import html

from tests.ui.conftest import seed_connector


async def test_create_makes_the_document_put_connector_makes(ui, admin):
    page = await ui.get("/connectors/new")
    assert page.status == 200 and 'value="confluence"' in page.body_text
    response = await ui.post(
        "/connectors", {"name": "Team wiki", "service_type": "confluence", "index_name": "search-wiki"}
    )
    assert response.status == 303
    connector_id = response.headers["Location"].rsplit("/", 1)[-1]
    created = (await admin.connector.get(connector_id=connector_id)).body
    await admin.connector.put(
        connector_id="reference",
        name="Team wiki",
        index_name="search-ref",
        service_type="confluence",
        is_native=False,
    )
    reference = (await admin.connector.get(connector_id="reference")).body
    ignore = {"id", "index_name", "filtering", "last_seen", "description"}
    assert {k: v for k, v in created.items() if k not in ignore} == {
        k: v for k, v in reference.items() if k not in ignore
    }
    assert created["status"] == "created" and created["index_name"] == "search-wiki"
    overview = await ui.follow(response)
    assert overview.status == 200
    assert "Team wiki" in overview.body_text
    assert f'connector_id: "{connector_id}"' in html.unescape(overview.body_text)
    assert 'service_type: "confluence"' in html.unescape(overview.body_text)


async def test_create_refuses_bad_input_and_writes_nothing(ui, admin):
    cases = [
        ({"name": "", "service_type": "confluence", "index_name": "search-a"}, "Name is required"),
        (
            {"name": "a", "service_type": "sharepoint", "index_name": "search-a"},
            "Choose one of the configured",
        ),
        (
            {"name": "a", "service_type": "confluence", "index_name": "Search A"},
            "Index name must be lowercase",
        ),
        ({"name": "a", "service_type": "confluence", "index_name": ""}, "Index name is required"),
    ]
    for data, message in cases:
        response = await ui.post("/connectors", data)
        assert response.status == 400, data
        assert message in response.body_text
        assert 'aria-invalid="true"' in response.body_text
    assert (await admin.connector.list()).body["count"] == 0


async def test_index_used_by_another_connector_is_a_readable_error(ui, admin):
    await seed_connector(admin, index_name="search-taken")
    response = await ui.post(
        "/connectors", {"name": "b", "service_type": "confluence", "index_name": "search-taken"}
    )
    assert response.status == 400
    assert "callout-danger" in response.body_text
    assert '{"error"' not in response.body_text
    assert (await admin.connector.list()).body["count"] == 1


async def test_list_shows_status_last_sync_and_escapes_names(ui, admin):
    await seed_connector(admin, name="<script>alert(1)</script>")
    await admin.connector.last_sync(
        connector_id="conf-1",
        last_sync_status="error",
        last_sync_error="Boom <b>bad</b>",
        last_synced="2026-11-20T10:00:00Z",
        last_indexed_document_count=42,
    )
    page = await ui.get("/connectors")
    assert page.status == 200
    assert "<script>alert(1)</script>" not in page.body_text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.body_text
    assert "Sync failure" in page.body_text and "Boom &lt;b&gt;bad&lt;/b&gt;" in page.body_text
    assert "search-wiki" in page.body_text and "confluence" in page.body_text
    assert "2026-11-20 10:00:00 UTC" in page.body_text and ">42<" in page.body_text


async def test_list_pages_through_elasticsearch(ui, admin):
    for number in range(25):
        await seed_connector(
            admin,
            connector_id=f"c{number:02d}",
            name=f"Connector {number:02d}",
            index_name=f"search-{number:02d}",
        )
    first = await ui.get("/connectors")
    assert first.body_text.count('class="strong"') == 20
    assert "1–20 of 25" in first.body_text and "?page=2" in first.body_text
    second = await ui.get("/connectors?page=2")
    assert second.body_text.count('class="strong"') == 5
    filtered = await ui.get("/connectors?q=search-07")
    assert "Connector 07" in filtered.body_text and "Connector 08" not in filtered.body_text


async def test_unknown_connector_is_a_404_page(ui):
    response = await ui.get("/connectors/nope")
    assert response.status == 404
    assert "There is no such page" in response.body_text


async def test_delete_needs_the_name_and_can_delete_the_index(ui, admin):
    await seed_connector(admin)
    await admin.index(index="search-wiki", id="d1", document={"title": "x"}, refresh=True)
    page = await ui.get("/connectors/conf-1/delete")
    assert page.status == 200 and "Also delete the index" in page.body_text
    refused = await ui.post("/connectors/conf-1/delete", {"confirm_name": "wrong"})
    assert refused.status == 400 and "Type the connector" in refused.body_text
    assert (await admin.connector.get(connector_id="conf-1")).body["name"] == "Team wiki"
    response = await ui.post(
        "/connectors/conf-1/delete", {"confirm_name": "Team wiki", "delete_index": "true"}
    )
    assert response.status == 303 and response.headers["Location"] == "/connectors"
    listing = await ui.follow(response)
    assert "deleted" in listing.body_text
    assert (await admin.connector.list()).body["count"] == 0
    assert not (await admin.indices.exists(index="search-wiki")).body


async def test_delete_keeps_the_index_by_default(ui, admin):
    await seed_connector(admin)
    await admin.index(index="search-wiki", id="d1", document={"title": "x"}, refresh=True)
    response = await ui.post("/connectors/conf-1/delete", {"confirm_name": "Team wiki"})
    assert response.status == 303
    assert (await admin.indices.exists(index="search-wiki")).body
