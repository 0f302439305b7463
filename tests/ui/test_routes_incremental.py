"""The overview of a connector that supports incremental syncs: the sync menu offers one next to
"Full content", and the page tells how old the incremental cursor is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from connectors.ui.connector_view import age_words, cursor_age
from connectors.utils import iso_utc
from tests.ui.conftest import confluence_configuration, seed_connector

JOBS = ".elastic-connectors-sync-jobs"


async def _with_incremental(admin) -> None:
    await seed_connector(admin, configuration=confluence_configuration())
    await admin.connector.update_features(
        connector_id="conf-1", features={"incremental_sync": {"enabled": True}}
    )


async def _completed_job(admin, job_type: str, completed_at: datetime) -> str:
    job_id = (await admin.connector.sync_job_post(id="conf-1", job_type=job_type))["id"]
    await admin.update(
        index=JOBS,
        id=job_id,
        doc={"status": "completed", "completed_at": iso_utc(completed_at)},
        refresh=True,
    )
    return job_id


async def test_menu_offers_incremental_and_overview_shows_the_cursor_age(ui, admin):
    await _with_incremental(admin)
    page = await ui.get("/connectors/conf-1")
    assert '<option value="full">Full content</option><option value="incremental">' in page.body_text
    assert "Incremental cursor" in page.body_text
    assert "none yet: the next incremental sync runs as a full sync" in page.body_text

    now = datetime.now(UTC)
    await _completed_job(admin, "full", now - timedelta(hours=5))
    await _completed_job(admin, "incremental", now - timedelta(minutes=12, seconds=5))  # stored it
    await admin.connector.last_sync(connector_id="conf-1", body={"sync_cursor": {"format": "x/1"}})
    page = await ui.get("/connectors/conf-1")
    assert '<dd data-state="cursor_age">12 minutes old</dd>' in page.body_text


async def test_no_cursor_line_nor_menu_entry_without_the_feature(ui, admin):
    await seed_connector(admin, configuration=confluence_configuration())
    await admin.connector.last_sync(connector_id="conf-1", body={"sync_cursor": {"format": "x/1"}})
    page = await ui.get("/connectors/conf-1")
    assert "Incremental cursor" not in page.body_text
    assert 'value="incremental"' not in page.body_text


def test_cursor_age_words():
    connector = {"id": "c", "features": {"incremental_sync": {"enabled": True}}, "sync_cursor": {"a": 1}}
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    job = {"completed_at": "2026-01-01T11:59:59.000Z"}
    assert cursor_age(connector, job, now) == "1 second old"
    assert cursor_age(connector, {"completed_at": "2025-12-30T11:00:00.000Z"}, now) == "2 days old"
    assert cursor_age(connector, None, now) == "stored (age unknown)"
    assert cursor_age({**connector, "sync_cursor": None}, job, now).startswith("none yet")
    assert cursor_age({**connector, "features": {}}, job, now) is None
    assert [age_words(s) for s in (0, 59, 60, 7200, 90000)] == [
        "0 seconds", "59 seconds", "1 minute", "2 hours", "1 day",
    ]  # fmt: skip


async def test_job_page_says_an_incremental_job_ran_as_a_full_sync(ui, admin):
    await _with_incremental(admin)
    job_id = await _completed_job(admin, "incremental", datetime.now(UTC))
    page = await ui.get(f"/connectors/conf-1/jobs/{job_id}")
    assert "Ran as" not in page.body_text
    await admin.update(
        index=JOBS, id=job_id, doc={"metadata": {"incremental_fallback": "no sync cursor yet"}}, refresh=True
    )
    for path in (f"/connectors/conf-1/jobs/{job_id}", f"/connectors/conf-1/jobs/{job_id}/live"):
        page = await ui.get(path)
        assert '<dd data-job="fallback">a full sync: no sync cursor yet</dd>' in page.body_text
