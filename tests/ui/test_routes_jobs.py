"""Sync now, job history (paged), job page, live JSON, cancel."""

import json

from connectors.protocol.constants import JOBS_INDEX
from tests.ui.conftest import confluence_configuration, seed_connector


async def _configured(admin):
    await seed_connector(
        admin, configuration=confluence_configuration(confluence_url="https://x.atlassian.net")
    )
    return "conf-1"


async def test_sync_now_creates_a_pending_on_demand_job(ui, admin):
    await _configured(admin)
    await ui.get("/connectors/conf-1")
    response = await ui.post("/connectors/conf-1/sync", {"job_type": "full"})
    assert response.status == 303
    job_id = response.headers["Location"].rsplit("/", 1)[-1]
    job = (await admin.connector.sync_job_get(connector_sync_job_id=job_id)).body
    assert (job["status"], job["job_type"], job["trigger_method"]) == ("pending", "full", "on_demand")
    page = await ui.follow(response)
    assert "Sync pending" in page.body_text and "Waiting for a connector service" in page.body_text
    assert f'data-poll-job="/api/connectors/conf-1/jobs/{job_id}"' in page.body_text
    data = json.loads((await ui.get(f"/api/connectors/conf-1/jobs/{job_id}")).body_text)
    assert data["status"] == "pending" and data["active"] is True


async def test_sync_now_is_refused_for_unconfigured_connectors_and_unsupported_types(ui, admin):
    await seed_connector(admin)
    await ui.get("/connectors/conf-1")
    response = await ui.post("/connectors/conf-1/sync", {"job_type": "full"})
    page = await ui.follow(response)
    assert "Configure the connector before syncing it" in page.body_text
    await admin.connector.update_configuration(
        connector_id="conf-1", configuration=confluence_configuration()
    )
    response = await ui.post("/connectors/conf-1/sync", {"job_type": "incremental"})
    page = await ui.follow(response)
    assert "does not support incremental" in page.body_text
    response = await ui.post("/connectors/conf-1/sync", {"job_type": "bogus"})
    page = await ui.follow(response)
    assert "Unknown sync type" in page.body_text
    assert (await admin.connector.sync_job_list(connector_id="conf-1")).body["count"] == 0


async def _running_job(admin, **stats) -> str:
    """An on-demand full sync of conf-1, claimed by worker-1, with these ``_stats``."""
    job_id = (
        await admin.connector.sync_job_post(id="conf-1", job_type="full", trigger_method="on_demand")
    ).body["id"]
    await admin.connector.sync_job_claim(connector_sync_job_id=job_id, worker_hostname="worker-1")
    await admin.connector.sync_job_update_stats(connector_sync_job_id=job_id, **stats)
    return job_id


async def test_running_job_counts_and_cancel(ui, admin):
    await _configured(admin)
    job_id = await _running_job(
        admin, indexed_document_count=1234, deleted_document_count=5, indexed_document_volume=3
    )
    data = json.loads((await ui.get(f"/api/connectors/conf-1/jobs/{job_id}")).body_text)
    assert (data["status"], data["indexed"], data["deleted"], data["volume"]) == (
        "in_progress",
        "1,234",
        "5",
        "3.00 MiB",
    )
    page = await ui.get(f"/connectors/conf-1/jobs/{job_id}")
    assert "Sync in progress" in page.body_text and "1,234" in page.body_text and "worker-1" in page.body_text
    assert "Sync requested manually" in page.body_text and "Sync started" in page.body_text
    response = await ui.post(f"/connectors/conf-1/jobs/{job_id}/cancel")
    assert response.status == 303
    job = (await admin.connector.sync_job_get(connector_sync_job_id=job_id)).body
    assert job["status"] == "canceling"


async def test_job_of_another_connector_is_not_found(ui, admin):
    await _configured(admin)
    await seed_connector(
        admin, connector_id="other", index_name="search-other", configuration=confluence_configuration()
    )
    job_id = (await admin.connector.sync_job_post(id="other", job_type="full")).body["id"]
    assert (await ui.get(f"/connectors/conf-1/jobs/{job_id}")).status == 404
    assert (await ui.get(f"/api/connectors/conf-1/jobs/{job_id}")).status == 404


async def test_history_pages_content_and_access_control_jobs(ui, admin):
    await _configured(admin)
    for _ in range(12):
        await admin.connector.sync_job_post(id="conf-1", job_type="full")
    await admin.connector.sync_job_post(id="conf-1", job_type="access_control")
    page = await ui.get("/connectors/conf-1/jobs")
    assert page.status == 200
    assert "1–10 of 12" in page.body_text and "content_page=2" in page.body_text
    assert page.body_text.count('badge-hollow">Full content') == 10
    assert "Access control syncs" in page.body_text and "Identities synced" in page.body_text
    second = await ui.get("/connectors/conf-1/jobs?content_page=2")
    assert "11–12 of 12" in second.body_text


async def test_completed_job_page_shows_counts_events_and_filtering_snapshot(ui, admin):
    await _configured(admin)
    job_id = (await admin.connector.sync_job_post(id="conf-1", job_type="full")).body["id"]
    await admin.connector.sync_job_claim(connector_sync_job_id=job_id, worker_hostname="w")
    await admin.connector.sync_job_error(connector_sync_job_id=job_id, error="Confluence answered 500 <oops>")
    page = await ui.get(f"/connectors/conf-1/jobs/{job_id}")
    assert "Sync failure" in page.body_text and "Confluence answered 500 &lt;oops&gt;" in page.body_text
    assert "Filtering" in page.body_text and "Regular expression" in page.body_text
    assert "data-poll-job" not in page.body_text


async def test_job_page_parts_follow_the_status_in_place(ui, admin):
    """The job page's live element names its fragment URL and the status it was rendered in; the
    fragment is the same element, rendered fresh, and keeps flash messages for the next page."""
    await _configured(admin)
    await ui.get("/connectors/conf-1")
    response = await ui.post("/connectors/conf-1/sync", {"job_type": "full"})
    job_id = response.headers["Location"].rsplit("/", 1)[-1]
    live = f"/connectors/conf-1/jobs/{job_id}/live"
    page = await ui.get(f"/connectors/conf-1/jobs/{job_id}")  # shows the "requested" flash
    assert f'data-live-job="{live}" data-status="pending"' in page.body_text
    assert "data-reload-when-done" not in page.body_text
    await admin.connector.sync_job_claim(connector_sync_job_id=job_id, worker_hostname="worker-1")
    await admin.connector.sync_job_update_stats(
        connector_sync_job_id=job_id,
        indexed_document_count=7,
        deleted_document_count=0,
        indexed_document_volume=0,
    )
    part = await ui.get(live)
    assert part.status == 200 and part.headers["Content-Type"].startswith("text/html")
    assert part.body_text.lstrip().startswith("<div") and "<html" not in part.body_text
    assert 'data-status="in_progress"' in part.body_text and "data-poll-job" in part.body_text
    assert "Sync in progress" in part.body_text and "Cancel sync" in part.body_text
    assert "Sync started" in part.body_text and ">7<" in part.body_text
    assert (await ui.post(f"/connectors/conf-1/jobs/{job_id}/cancel")).status == 303  # flashes
    part = await ui.get(live)
    assert 'data-status="canceling"' in part.body_text and "Cancelation requested</strong>" in part.body_text
    assert "Cancelation requested." not in part.body_text  # the flash waits for the next page
    assert "Cancelation requested." in (await ui.get(f"/connectors/conf-1/jobs/{job_id}")).body_text
    # the service acknowledges the cancelation as the protocol layer does
    done = {
        "status": "canceled",
        "canceled_at": "2026-11-23T10:00:00+00:00",
        "completed_at": "2026-11-23T10:00:00+00:00",
    }
    await admin.update(index=JOBS_INDEX, id=job_id, doc=done, refresh=True)
    part = await ui.get(live)
    assert 'data-status="canceled"' in part.body_text and "data-poll-job" not in part.body_text
    assert "Sync canceled" in part.body_text and "Cancel sync" not in part.body_text


async def test_job_parts_of_another_connector_or_unknown_job_are_not_found(ui, admin):
    await _configured(admin)
    await seed_connector(
        admin, connector_id="other", index_name="search-other", configuration=confluence_configuration()
    )
    job_id = (await admin.connector.sync_job_post(id="other", job_type="full")).body["id"]
    assert (await ui.get(f"/connectors/conf-1/jobs/{job_id}/live")).status == 404
    assert (await ui.get("/connectors/conf-1/jobs/nope/live")).status == 404


async def test_failed_documents_show_on_the_job_page_its_json_and_the_history(ui, admin):
    await _configured(admin)
    job_id = await _running_job(
        admin,
        indexed_document_count=10,
        deleted_document_count=0,
        indexed_document_volume=1,
        metadata={"failed_document_count": 1234},
    )
    data = json.loads((await ui.get(f"/api/connectors/conf-1/jobs/{job_id}")).body_text)
    assert data["failed"] == "1,234"
    page = await ui.get(f"/connectors/conf-1/jobs/{job_id}")
    assert "Docs failed" in page.body_text and 'data-job="failed">1,234<' in page.body_text
    history = await ui.get("/connectors/conf-1/jobs")
    assert "Docs failed" in history.body_text and 'data-job="failed">1,234<' in history.body_text
