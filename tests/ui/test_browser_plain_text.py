"""The configuration form words a too-long one-line value as the service does, in headless Chromium.

The form checks the service's ``plain_text(n)`` validation in the page (``ui.js``) before anything
is posted; its message must say what the service would say (the length and the maximum, with the
same thousands separators), so a user sees one wording whichever side catches the problem.
"""

from __future__ import annotations

import pytest
from elasticsearch import AsyncElasticsearch

from connectors.configuration import Field, field, plain_text
from connectors.sources.confluence.config import MAX_URL_CHARS
from tests.ui.browser import browser_page, chromium_path, serve_ui
from tests.ui.conftest import SOURCES, _standin_class, confluence_configuration, seed_connector

pytestmark = [pytest.mark.browser, pytest.mark.slow]


async def test_a_too_long_url_is_refused_in_the_page_with_the_services_words():
    chromium_path()
    from playwright.async_api import expect

    too_long = "https://" + "a" * (MAX_URL_CHARS + 100 - len("https://"))
    phrase = f"is {len(too_long):,} characters long; at most {MAX_URL_CHARS:,} are allowed"
    spec = field("Confluence URL", value=too_long, validations=[plain_text(MAX_URL_CHARS)])
    server = Field("confluence_url", spec).validate()
    assert len(server) == 1 and phrase in server[0]  # the service's own wording holds the phrase

    async with _standin_class()(port=0) as es, serve_ui(es.url, SOURCES) as ui_url, browser_page() as page:
        admin = AsyncElasticsearch(es.url)
        try:
            await seed_connector(admin, configuration=confluence_configuration())
            await page.goto(f"{ui_url}/login")
            await page.get_by_role("button", name="Sign in").click()
            await expect(page.get_by_role("heading", name="Connectors", exact=True)).to_be_visible()
            await page.goto(f"{ui_url}/connectors/conf-1/configuration")
            await page.get_by_role("link", name="Edit configuration").click()
            url = page.get_by_label("Confluence URL")
            await url.fill(too_long)
            await url.press("Tab")  # the change event checks the field
            error = page.locator('.config-row[data-key="confluence_url"] .error')
            await expect(error).to_have_text(f"Confluence URL {phrase}")
            await expect(url).to_have_attribute("aria-invalid", "true")
            await url.fill("https://wiki.example.com")
            await url.press("Tab")
            await expect(error).to_have_text("")
        finally:
            await admin.close()
