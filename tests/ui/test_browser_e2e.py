"""End to end in headless Chromium: the UI, the Elasticsearch stand-in, the mock Confluence and
the connector service, driven the way a user would.

sign in → create a Confluence connector → the service registers it → fill the form (a
depends_on field appears when its parent changes; an invalid value is refused in the page) →
save → the service marks it connected → Sync now → live progress → job completed with the
fixture's counts → search the content and open a result → draft an invalid advanced rule, see
the service's error, fix it, activate. Screenshots go to tests/artifacts/ui/.
"""

from __future__ import annotations

import asyncio
import contextlib
import re

import pytest
from elasticsearch import AsyncElasticsearch

from connectors.config import with_defaults
from tests.ui.browser import Shots, browser_page, chromium_path, serve_ui
from tests.ui.conftest import SOURCES, _standin_class

pytestmark = [pytest.mark.browser, pytest.mark.slow]
LONG = 120_000  # the service under a loaded 2-core machine; bounds a failure only


@contextlib.asynccontextmanager
async def connector_service(es_url: str, connector_id: str):
    from connectors.services.service import ConnectorService

    config = with_defaults(
        {
            "elasticsearch": {"host": es_url},
            "service": {"idling": 0.5, "heartbeat": 1, "progress_interval": 1},
            "connectors": [{"connector_id": connector_id, "service_type": "confluence"}],
            "sources": SOURCES,
        }
    )
    service = ConnectorService(config)
    task = asyncio.create_task(service.run(install_signals=False))
    try:
        yield service
    finally:
        service.stop()
        await asyncio.wait_for(task, 120)  # bounds a hang only


async def test_a_user_drives_a_confluence_connector_end_to_end():
    chromium_path()
    from playwright.async_api import expect

    from fixtures.confluence import ConfluenceMock
    from fixtures.confluence.expected import expected_counts

    async with (
        _standin_class()(port=0) as es,
        # Every request answered after 300 ms, so that the sync lasts several of the page's 1.5 s
        # polls on any machine: the live-progress step must see it running.
        ConfluenceMock(flavor="cloud", data_size="small", seed=1, latency_ms=300) as mock,
        serve_ui(es.url, SOURCES) as ui_url,
        browser_page() as page,
    ):
        admin = AsyncElasticsearch(es.url)
        shots = Shots(page)
        try:
            # -- sign in ------------------------------------------------------------------
            await page.goto(ui_url + "/connectors")
            await expect(page).to_have_url(re.compile(r"/login\?next="))
            await expect(page.get_by_text("security turned off")).to_be_visible()
            await shots.take("sign-in")
            await page.get_by_role("button", name="Sign in").click()
            await expect(page.get_by_role("heading", name="Connectors", exact=True)).to_be_visible()
            await shots.take("connectors-empty")

            # -- create -------------------------------------------------------------------
            await page.get_by_role("link", name="+ New connector", exact=True).first.click()
            await page.get_by_label("Name", exact=True).fill("Engineering wiki")
            await page.get_by_label("Index name", exact=True).fill("search-engineering-wiki")
            await shots.take("connector-new")
            await page.get_by_role("button", name="Create connector").click()
            await expect(page.get_by_role("heading", name="Engineering wiki")).to_be_visible()
            connector_id = page.url.rstrip("/").rsplit("/", 1)[-1]
            await expect(page.get_by_text("Waiting for a connector service")).to_be_visible()
            await shots.take("connector-overview-created")

            async with connector_service(es.url, connector_id):
                # the service writes the schema; the open page notices and reloads itself
                await expect(page.get_by_text("This connector is not configured yet")).to_be_visible(
                    timeout=LONG
                )
                await page.get_by_role("link", name="Configuration", exact=True).click()
                form = page.locator("#config-form")
                await expect(form).to_be_visible(timeout=LONG)
                schema = (await admin.connector.get(connector_id=connector_id)).body["configuration"]

                # -- depends_on, live ---------------------------------------------------------
                server_user = page.locator('.config-row[data-key="username"]')
                await expect(server_user).to_be_hidden()
                await page.get_by_label("Confluence Server", exact=True).check()
                await expect(server_user).to_be_visible()
                await expect(page.locator('.config-row[data-key="account_email"]')).to_be_hidden()
                await page.get_by_label("Confluence Cloud", exact=True).check()
                await expect(server_user).to_be_hidden()
                ssl_ca = page.locator('.config-row[data-key="ssl_ca"]')
                await expect(ssl_ca).to_be_hidden()
                await page.get_by_label("Enable SSL", exact=False).check()
                await expect(ssl_ca).to_be_visible()
                await page.get_by_label("Enable SSL", exact=False).uncheck()

                # -- fill, with one invalid value refused in the page --------------------------
                admin_user = mock.site.user_by_username("admin")
                # one space of ~120 documents keeps the sync short but long enough to watch
                space_key = min(
                    (s.key for s in mock.site.spaces_sorted()),
                    key=lambda k: abs(expected_counts(mock.site, admin_user, space_keys=[k])["total"] - 120),
                )
                expected = expected_counts(mock.site, admin_user, space_keys=[space_key])
                await page.locator("#cfg-spaces").fill(space_key)
                await page.get_by_label("Confluence URL").fill(mock.url)
                await page.get_by_label("Confluence Cloud account email").fill(admin_user.email)
                await page.get_by_label("Confluence Cloud API token").fill(admin_user.api_token)
                spaces = page.locator("#cfg-max_num_of_spaces")
                await spaces.fill("0")
                await spaces.press("Tab")  # checked as soon as the field is left
                await page.get_by_role("button", name="Save configuration").click()
                await expect(page.locator("#client-error")).to_be_visible()
                await expect(
                    page.locator('.config-row[data-key="max_num_of_spaces"] .error')
                ).to_contain_text("greater than 0")
                await shots.take("configuration-invalid")
                stored = (await admin.connector.get(connector_id=connector_id)).body["configuration"]
                assert stored == schema, "nothing may be written"
                await spaces.fill("")
                await page.get_by_role("button", name="Save configuration").click()
                # view mode (the flash may already be gone: the page reloads when the service reacts)
                await expect(page.get_by_role("link", name="Edit configuration")).to_be_visible()
                await expect(page.locator(".masked").first).to_have_text("********")

                # -- the service validates and marks it connected -----------------------------
                # (the page reloads when the status moves; "Connected" is the state it rests in)
                await expect(page.locator(".page-header .badge").first).to_have_text(
                    "Connected", timeout=LONG
                )
                await page.wait_for_load_state()
                assert admin_user.api_token not in await page.content()
                await shots.take("configuration-view")

                # -- sync now, live progress, completed with the fixture's counts -------------
                await page.get_by_role("link", name="Overview", exact=True).click()
                await expect(page).to_have_url(re.compile(rf"/connectors/{connector_id}$"))
                await page.get_by_role("button", name="Sync now").click()
                await expect(page).to_have_url(re.compile(r"/jobs/[^/]+$"))
                await page.wait_for_load_state()
                # the job page never reloads: it updates its counts in place on every poll and
                # swaps in fresh status-dependent parts when the status moves
                await page.evaluate("window.__notReloaded = true")
                await shots.take("job-pending", full_page=False)
                live = page.locator("[data-live-job]")
                # in progress (or, on a machine slower than the sync, already done) with counts
                # that moved: true only once the page has followed the job without a reload
                await page.wait_for_function(
                    """() => {
                        const live = document.querySelector('[data-live-job]');
                        const count = document.querySelector('[data-job="indexed"]');
                        return window.__notReloaded === true && live && count
                            && ["in_progress", "completed"].includes(live.dataset.status)
                            && count.textContent.trim() !== "0";
                    }""",
                    timeout=LONG,
                )
                await shots.take("job-running", full_page=False)
                await expect(live).to_have_attribute("data-status", "completed", timeout=LONG)
                await expect(live.get_by_text("Sync complete", exact=True).first).to_be_visible()
                await expect(live.get_by_role("button", name="Cancel sync")).to_have_count(0)
                await expect(live.locator(".timeline")).to_contain_text("Completed")
                assert await page.evaluate("window.__notReloaded === true"), "the job page reloaded"
                job_id = page.url.rsplit("/", 1)[-1]
                job = (await admin.connector.sync_job_get(connector_sync_job_id=job_id)).body
                assert job["status"] == "completed"
                shown = await page.locator('[data-job="indexed"]').first.text_content()
                assert shown == f"{job['indexed_document_count']:,}"
                assert job["indexed_document_count"] == expected["total"]
                await shots.take("job-completed")

                # -- content browser -------------------------------------------------------------
                await page.get_by_role("link", name="Content", exact=True).click()
                await expect(page.locator(".type-counts")).to_be_visible()
                for kind in ("page", "blogpost", "comment", "attachment", "space"):
                    await expect(page.locator(".type-counts")).to_contain_text(f"{expected[kind]:,} {kind}")
                await shots.take("content")
                first_title = (await page.locator(".result h3 a").first.text_content()).strip()
                word = max(re.findall(r"\w+", first_title), key=len)
                await page.get_by_label("Search the content").fill(word)
                await page.get_by_role("button", name="Search").click()
                await expect(page.locator(".result").first).to_be_visible()
                await shots.take("content-search")
                link = page.locator(".result h3 a").first
                assert (await link.get_attribute("href")).startswith(mock.url)
                async with page.context.expect_page() as popup_info:
                    await link.click()
                popup = await popup_info.value
                await popup.wait_for_load_state()
                assert popup.url.startswith(mock.url)
                await popup.close()

                # -- sync rules: invalid advanced rule, the service's error, fix, activate ------
                await page.get_by_role("link", name="Sync rules", exact=True).click()
                await page.get_by_role("link", name="Draft new sync rules", exact=True).click()
                editor = page.get_by_label("Advanced rules (JSON)")
                await editor.fill('[{"query": ')
                await expect(page.locator("#advanced_snippet-error")).to_contain_text("Invalid JSON")
                await editor.fill('[{"cql": "type = page"}]')
                await page.get_by_role("button", name="Save and validate draft").click()
                await expect(page.get_by_text("did not validate")).to_be_visible(timeout=LONG)
                await shots.take("sync-rules-invalid")
                await page.get_by_role("link", name="Edit draft rules", exact=True).first.click()
                await page.get_by_label("Advanced rules (JSON)").fill(f'[{{"query": "space = {space_key}"}}]')
                await page.get_by_role("button", name="+ Add rule").click()
                row = page.locator(".rule-row").last
                await row.get_by_label(re.compile(r"^Policy of rule \d+$")).select_option("exclude")
                await row.get_by_label(re.compile(r"^Field of rule \d+$")).fill("title")
                await row.get_by_label(re.compile(r"^Rule of rule \d+$")).select_option("regex")
                await row.get_by_label(re.compile(r"^Value of rule \d+$")).fill("(draft")
                await expect(row.locator(".error")).to_contain_text("Invalid regular expression")
                await row.get_by_label(re.compile(r"^Value of rule \d+$")).fill("^Draft")
                # reorder and delete from the keyboard-reachable buttons
                await page.get_by_role("button", name="+ Add rule").click()
                second = page.locator(".rule-row").nth(1)
                await second.get_by_label("Field of rule 2").fill("space_key")
                await second.get_by_label("Value of rule 2").fill(space_key)
                await page.get_by_role("button", name="Move rule 2 up").click()
                await expect(page.locator(".rule-row").first.get_by_label("Field of rule 1")).to_have_value(
                    "space_key"
                )
                await expect(
                    page.get_by_role("button", name="Move rule 1 up")
                ).to_be_focused()  # focus follows the row
                await page.get_by_role("button", name="Delete rule 1").click()
                await expect(page.locator(".rule-row")).to_have_count(1)
                await expect(page.get_by_label("Field of rule 1")).to_have_value("title")
                await shots.take("sync-rules-editor")
                await page.get_by_role("button", name="Save and validate draft").click()
                await expect(page).to_have_url(re.compile(r"/sync-rules$"))
                # the service validates the draft, then activates it as Elastic's service does;
                # the page watches (and reloads) until the draft is the active rule set
                await expect(page.get_by_role("link", name="Draft new sync rules", exact=True)).to_be_visible(
                    timeout=LONG
                )
                await expect(page.locator("[data-poll-state]")).to_have_count(0)
                await shots.take("sync-rules-active")
                active = (await admin.connector.get(connector_id=connector_id)).body["filtering"][0]["active"]
                assert active["advanced_snippet"]["value"] == [{"query": f"space = {space_key}"}]
                assert [r["value"] for r in active["rules"]] == ["^Draft", ".*"]

                # -- scheduling and the job history ----------------------------------------------
                await page.get_by_role("link", name="Scheduling", exact=True).click()
                full = page.locator(".schedule").first
                await full.get_by_label("Every").select_option("week")
                await expect(full.get_by_label(re.compile("Cron expression"))).to_have_value(
                    re.compile(r"^0 0 0 \? \* 1$")
                )
                await expect(full.locator("[data-runs] tr")).to_have_count(3)
                await full.get_by_label(re.compile("Cron expression")).fill("0 0 25 * * ?")
                await expect(full.locator(".error")).to_contain_text("hours value 25")
                await full.get_by_label(re.compile("Cron expression")).fill("0 15 3 ? * 2")
                await expect(full.locator(".error")).to_have_text("")
                await full.get_by_label("Enabled").check()
                await shots.take("scheduling")
                await full.get_by_role("button", name="Save schedule").click()
                await expect(page.get_by_text("Full content sync schedule saved")).to_be_visible()
                scheduling = (await admin.connector.get(connector_id=connector_id)).body["scheduling"]
                assert scheduling["full"] == {"enabled": True, "interval": "0 15 3 ? * 2"}
                await page.get_by_role("link", name="Sync jobs", exact=True).click()
                await expect(page.locator("table").first).to_contain_text("Sync complete")
                await shots.take("jobs")
                await page.get_by_role("link", name="Connectors", exact=True).first.click()
                await expect(page.get_by_text("Engineering wiki")).to_be_visible()
                await shots.take("connectors")
                await page.set_viewport_size({"width": 400, "height": 800})
                await shots.take("connectors-narrow")
                await page.goto(f"{ui_url}/connectors/{connector_id}/jobs/{job_id}")
                await shots.take("job-narrow")
        finally:
            await admin.close()
