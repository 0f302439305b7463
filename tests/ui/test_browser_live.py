"""The job page and the job history follow a job in place, in headless Chromium.

The test moves the job itself (through the Connector APIs, as a connector service would), one
state at a time, and waits for the page to show each state before the next move: every state is
seen, on any machine, without a reload.
"""

from __future__ import annotations

import pytest
from elasticsearch import AsyncElasticsearch

from connectors.protocol.constants import JOBS_INDEX
from tests.ui.browser import browser_page, chromium_path, serve_ui
from tests.ui.conftest import SOURCES, _standin_class, confluence_configuration, seed_connector

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NOT_RELOADED = "window.__notReloaded === true"


async def test_the_job_page_and_history_follow_a_job_without_reloading():
    chromium_path()
    from playwright.async_api import expect

    async with _standin_class()(port=0) as es, serve_ui(es.url, SOURCES) as ui_url, browser_page() as page:
        admin = AsyncElasticsearch(es.url)
        try:
            await seed_connector(
                admin, configuration=confluence_configuration(confluence_url="https://x.atlassian.net")
            )
            job_id = (
                await admin.connector.sync_job_post(id="conf-1", job_type="full", trigger_method="on_demand")
            ).body["id"]
            await page.goto(f"{ui_url}/login")
            await page.get_by_role("button", name="Sign in").click()
            await expect(page.get_by_role("heading", name="Connectors", exact=True)).to_be_visible()

            # -- the job page: pending → in progress (counts move) → canceling → canceled ----
            await page.goto(f"{ui_url}/connectors/conf-1/jobs/{job_id}")
            live = page.locator("[data-live-job]")
            await expect(live).to_have_attribute("data-status", "pending")
            await expect(live).to_contain_text("Waiting for a connector service")
            await page.evaluate("window.__notReloaded = true")
            cancel = page.get_by_role("button", name="Cancel sync")
            await cancel.focus()  # focus inside the swapped parts must not be lost

            await admin.connector.sync_job_claim(connector_sync_job_id=job_id, worker_hostname="worker-7")
            await expect(live).to_have_attribute("data-status", "in_progress")
            await expect(live).to_contain_text("In progress, running for")
            await expect(live.locator(".timeline")).to_contain_text("Sync started")
            await expect(live).to_contain_text("worker-7")
            await expect(page.locator("#job-h")).to_be_focused()

            await admin.connector.sync_job_update_stats(
                connector_sync_job_id=job_id,
                indexed_document_count=1234,
                deleted_document_count=3,
                indexed_document_volume=2,
            )
            # the status did not move: only the counts change, in place
            await expect(live.locator('[data-job="indexed"]')).to_have_text("1,234")
            await expect(live.locator('[data-job="volume"]')).to_have_text("2.00 MiB")

            page.on("dialog", lambda dialog: dialog.accept())  # "Cancel this sync job?"
            await cancel.click()  # a real form post: this page is left on purpose
            await expect(page.get_by_text("Cancelation requested.", exact=True)).to_be_visible()  # the flash
            await expect(live).to_have_attribute("data-status", "canceling")
            await page.wait_for_load_state()
            await page.evaluate("window.__notReloaded = true")
            done = {
                "status": "canceled",
                "canceled_at": "2026-11-23T10:00:00+00:00",
                "completed_at": "2026-11-23T10:00:00+00:00",
            }
            await admin.update(index=JOBS_INDEX, id=job_id, doc=done, refresh=True)
            await expect(live).to_have_attribute("data-status", "canceled")
            await expect(live).to_contain_text("Sync canceled at")
            await expect(live.get_by_role("button", name="Cancel sync")).to_have_count(0)
            await expect(live.locator(".timeline")).to_contain_text("Canceled")
            # local times are set on the swapped parts too
            await expect(live.locator("time[data-local]").first).to_have_attribute(
                "title", "Local time: 2026-11-23 11:00:00"
            )
            assert await page.evaluate(NOT_RELOADED), "the job page reloaded"
            await expect(page.locator("[data-live-job][data-poll-job]")).to_have_count(0)  # polling ended

            # -- the history: a running row drops its cancel button when the job ends ---------
            second = (await admin.connector.sync_job_post(id="conf-1", job_type="full")).body["id"]
            await admin.connector.sync_job_claim(connector_sync_job_id=second, worker_hostname="worker-7")
            await page.goto(f"{ui_url}/connectors/conf-1/jobs")
            row = page.locator(f'tr[data-poll-job$="/{second}"]')
            await expect(row.get_by_role("button", name=f"Cancel sync job {second}")).to_be_visible()
            await page.evaluate("window.__notReloaded = true")
            await admin.connector.sync_job_error(connector_sync_job_id=second, error="Confluence said no")
            await expect(row.locator('[data-job="status"]')).to_have_text("Sync failure")
            await expect(row.get_by_role("button", name=f"Cancel sync job {second}")).to_have_count(0)
            assert await page.evaluate(NOT_RELOADED), "the job history reloaded"
        finally:
            await admin.close()


async def test_a_link_clicked_while_a_refresh_is_due_wins_over_the_refresh():
    """The overview reloads itself when the connector's state changes, but never under a user who
    has started to leave: the state answer is held until the click's navigation has started."""
    import asyncio

    chromium_path()
    from playwright.async_api import expect

    async with _standin_class()(port=0) as es, serve_ui(es.url, SOURCES) as ui_url, browser_page() as page:
        admin = AsyncElasticsearch(es.url)
        try:
            await seed_connector(
                admin, configuration=confluence_configuration(confluence_url="https://x.atlassian.net")
            )
            await page.goto(f"{ui_url}/login")
            await page.get_by_role("button", name="Sign in").click()
            await expect(page.get_by_role("heading", name="Connectors", exact=True)).to_be_visible()

            polls: asyncio.Queue = asyncio.Queue()
            navigations: asyncio.Queue = asyncio.Queue()
            overview_loads = []
            await page.route("**/api/connectors/conf-1/state", polls.put)
            await page.route("**/connectors/conf-1/configuration", navigations.put)
            page.on(
                "request",
                lambda r: (
                    overview_loads.append(r.url)
                    if r.resource_type == "document" and r.url.endswith("/connectors/conf-1")
                    else None
                ),
            )
            await page.goto(f"{ui_url}/connectors/conf-1")
            first_poll = await asyncio.wait_for(polls.get(), 60)  # the page asks at once; held
            click = asyncio.create_task(page.get_by_role("link", name="Configuration", exact=True).click())
            navigation = await asyncio.wait_for(navigations.get(), 60)  # the user is leaving; held
            await admin.connector.update_error(connector_id="conf-1", error="Confluence is down")
            await first_poll.continue_()  # the page learns that the state changed...
            next_poll = await asyncio.wait_for(polls.get(), 60)  # ...and polls on instead of reloading
            await page.unroute("**/api/connectors/conf-1/state")
            await next_poll.continue_()
            await navigation.continue_()
            await click
            await expect(page).to_have_url(f"{ui_url}/connectors/conf-1/configuration")
            await expect(page.get_by_role("link", name="Configuration", exact=True)).to_have_attribute(
                "aria-current", "page"
            )
            assert overview_loads == [f"{ui_url}/connectors/conf-1"], "the overview reloaded"
        finally:
            await admin.close()
