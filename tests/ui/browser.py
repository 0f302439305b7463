"""Headless Chromium for the UI's browser tests (Debian's chromium; downloads are impossible)."""

from __future__ import annotations

import shutil
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "ui"
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
async def browser_page(width: int = 1280, height: int = 860):
    from playwright.async_api import async_playwright

    executable = chromium_path()
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        try:
            context = await browser.new_context(
                viewport={"width": width, "height": height}, timezone_id="Europe/Paris"
            )
            page = await context.new_page()
            page.set_default_timeout(15_000)
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
