"""Headless Chromium for the UI's browser tests (Debian's chromium; downloads are impossible)."""

from __future__ import annotations

import shutil
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from aiohttp import web

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "ui"
# Deadlines only bound a failure: on a loaded 2-core CI machine a page can take seconds to
# render, so neither actions nor `expect` (whose own default is 5 s) may give up early.
ACTION_TIMEOUT_MS = 30_000
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.skip("chromium is not installed (run `make browser` to install Debian's chromium)")
    return path


@asynccontextmanager
async def serve_ui(es_url: str, sources: dict[str, str]):
    """The UI on a free loopback port; yields its base URL."""
    from connectors.ui import create_app

    runner = web.AppRunner(
        create_app({"elasticsearch": {"host": es_url}, "sources": sources}), access_log=None
    )
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@asynccontextmanager
async def browser_page(width: int = 1280, height: int = 860):
    from playwright.async_api import async_playwright, expect

    executable = chromium_path()
    expect.set_options(timeout=ACTION_TIMEOUT_MS)
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        try:
            context = await browser.new_context(
                viewport={"width": width, "height": height}, timezone_id="Europe/Paris"
            )
            page = await context.new_page()
            page.set_default_timeout(ACTION_TIMEOUT_MS)
            yield page
        finally:
            await browser.close()


class Shots:
    """Numbered full-page screenshots in tests/artifacts/ui/ (git-ignored)."""

    def __init__(self, page, folder: Path = ARTIFACTS):
        self.page = page
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.png"):
            old.unlink()
        self.count = 0

    async def take(self, name: str, full_page: bool = True) -> Path:
        self.count += 1
        if full_page:
            await self.page.evaluate("window.scrollTo(0, 0)")
        path = self.folder / f"{self.count:02d}-{name}.png"
        await self.page.screenshot(path=str(path), full_page=full_page)
        return path
