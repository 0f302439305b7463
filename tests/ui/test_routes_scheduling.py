"""Scheduling: Quartz cron validated on the server, next runs shown."""

import datetime as dt
import json
import re

from connectors.protocol.constants import CONNECTORS_INDEX
from tests.ui.conftest import UiClient, confluence_configuration, make_ui, seed_connector


def _next_midnights(moment: dt.datetime) -> tuple[str, ...]:
    first = dt.datetime.combine(moment.date(), dt.time(), dt.UTC) + dt.timedelta(days=1)
    return tuple(f"{first + dt.timedelta(days=d):%Y-%m-%d} 00:00:00 UTC" for d in range(3))


async def test_scheduling_page_shows_next_runs(ui, admin):
    await seed_connector(admin)
    before = dt.datetime.now(dt.UTC)
    page = await ui.get("/connectors/conf-1/scheduling")
    after = dt.datetime.now(dt.UTC)
    assert page.status == 200
    assert "Full content sync" in page.body_text
    shown = re.findall(r"<tr><td>(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC)</td>", page.body_text)
    # default "0 0 0 * * ?": the next three midnights. The page reads the wall clock, so the two
    # candidate lists are the same one unless the request straddled midnight UTC.
    candidates = {_next_midnights(before), _next_midnights(after)}
    assert tuple(shown[:3]) in candidates, shown  # the full sync's table


async def test_valid_schedule_is_saved_with_the_others_kept(ui, admin):
    await seed_connector(admin)
    await ui.get("/connectors/conf-1/scheduling")
    response = await ui.post(
        "/connectors/conf-1/scheduling",
        [("type", "full"), ("enabled", "false"), ("enabled", "true"), ("interval", "0 30 2 ? * 2")],
    )
    assert response.status == 303
    scheduling = (await admin.connector.get(connector_id="conf-1")).body["scheduling"]
    assert scheduling["full"] == {"enabled": True, "interval": "0 30 2 ? * 2"}
    assert set(scheduling) >= {"incremental", "access_control"}
    page = await ui.follow(response)
    assert "schedule saved" in page.body_text


async def test_invalid_cron_is_refused_with_a_message_and_nothing_written(ui, admin):
    await seed_connector(admin)
    before = (await admin.connector.get(connector_id="conf-1")).body["scheduling"]
    await ui.get("/connectors/conf-1/scheduling")
    for expression, message in [
        ("every day", "expected 6 or 7 fields"),
        ("0 0 25 * * ?", "hours value 25"),
        ("0 0 0 * * 9", "day-of-week"),
    ]:
        response = await ui.post(
            "/connectors/conf-1/scheduling", {"type": "full", "enabled": "true", "interval": expression}
        )
        assert response.status == 400
        assert "Invalid cron expression" in response.body_text and message in response.body_text
        assert 'aria-invalid="true"' in response.body_text
    assert (await admin.connector.get(connector_id="conf-1")).body["scheduling"] == before


async def test_unknown_schedule_type_is_refused(ui, admin):
    await seed_connector(admin)
    await ui.get("/connectors/conf-1/scheduling")
    response = await ui.post("/connectors/conf-1/scheduling", {"type": "weekly", "interval": "0 0 0 * * ?"})
    assert response.status == 400


async def test_cron_preview_api(ui):
    good = await ui.get("/api/cron?expression=0%200%206%20%3F%20*%202")
    data = json.loads(good.body_text)
    assert data["valid"] is True and len(data["runs"]) == 3
    assert data["picker"]["frequency"] == "week" and data["picker"]["custom"] is False
    bad = json.loads((await ui.get("/api/cron?expression=nope")).body_text)
    assert bad["valid"] is False and "expected 6 or 7 fields" in bad["error"]


async def test_next_runs_follow_the_app_clock(standin):
    """Mondays at 06:00 seen from Thursday 2026-01-01: the next three Mondays, whatever today is."""
    fixed = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)
    async with make_ui(standin.url, clock=lambda: fixed) as client:
        ui = UiClient(client)
        assert (await ui.sign_in()).status == 303
        data = json.loads((await ui.get("/api/cron?expression=0%200%206%20%3F%20*%202")).body_text)
    assert data["runs"] == [
        "2026-01-05T06:00:00+00:00",
        "2026-01-12T06:00:00+00:00",
        "2026-01-19T06:00:00+00:00",
    ]


async def test_incremental_and_access_control_panels_follow_the_features(ui, admin):
    await seed_connector(admin, configuration=confluence_configuration())
    page = await ui.get("/connectors/conf-1/scheduling")
    assert "Incremental content sync" not in page.body_text and "Access control sync" not in page.body_text
    await admin.connector.update_features(
        connector_id="conf-1",
        features={"incremental_sync": {"enabled": True}, "document_level_security": {"enabled": True}},
    )
    page = await ui.get("/connectors/conf-1/scheduling")
    assert "Incremental content sync" in page.body_text and "Access control sync" in page.body_text
    assert "Access control syncs need document level security" in page.body_text  # DLS is off in the config
    refused = await ui.post(
        "/connectors/conf-1/scheduling",
        {"type": "access_control", "enabled": "true", "interval": "0 0 1 * * ?"},
    )
    assert refused.status == 400 and "Enable document level security" in refused.body_text
    saved = await ui.post(
        "/connectors/conf-1/scheduling", {"type": "incremental", "enabled": "true", "interval": "0 0 * * * ?"}
    )
    assert saved.status == 303
    scheduling = (await admin.connector.get(connector_id="conf-1")).body["scheduling"]
    assert scheduling["incremental"] == {"enabled": True, "interval": "0 0 * * * ?"}
    assert scheduling["access_control"]["enabled"] is False
    overview = await ui.get("/connectors/conf-1")
    assert 'value="incremental"' in overview.body_text and 'value="access_control"' not in overview.body_text


async def test_custom_schedules_written_by_kibana_are_shown_read_only(ui, admin):
    await seed_connector(admin)
    custom = {
        "nightly-docs": {
            "name": "Nightly <docs>",
            "enabled": True,
            "interval": "0 30 1 * * ?",
            "last_synced": "2026-11-20T01:30:05+00:00",
            "configuration_overrides": {
                "max_crawl_depth": 3,
                "seed_urls": ["https://x.example"],
                "domain_allowlist": [],
                "api_token": "override-secret-1",  # keyed like a secret
                "space_keys": "visible",
            },
        },
        "broken": {
            "name": "Broken",
            "enabled": True,
            "interval": "0 0 25 * * ?",
            "configuration_overrides": {},
        },
        "off": {"name": "Archive", "enabled": False, "interval": "0 0 0 1 * ?"},
        "junk": "not an object",
    }
    await admin.update(index=CONNECTORS_INDEX, id="conf-1", doc={"custom_scheduling": custom}, refresh=True)
    page = await ui.get("/connectors/conf-1/scheduling")
    assert page.status == 200
    html = page.body_text
    table = html[html.index('id="custom-schedules"') :]
    assert "Nightly &lt;docs&gt;" in table and "<docs>" not in table
    assert table.index("Archive") < table.index("Broken") < table.index("Nightly")  # by name
    assert "<code>0 30 1 * * ?</code>" in table and "01:30:00 UTC" in table  # the next run
    assert "2026-11-20 01:30:05 UTC" in table
    assert "max_crawl_depth" in table and "seed_urls" in table and "domain_allowlist" not in table
    assert "api_token" in table and "override-secret-1" not in table and "********" in table
    assert "visible" in table
    assert "Invalid: " in table and "hours value 25 is out of range" in table
    assert table.count("badge-success") == 2 and "Disabled" in table
    assert "junk" not in table
    assert '<form method="post" action="/connectors/conf-1/scheduling"' not in table  # read-only


async def test_no_custom_schedules_no_panel(ui, admin):
    await seed_connector(admin)
    page = await ui.get("/connectors/conf-1/scheduling")
    assert "Custom schedules" not in page.body_text
