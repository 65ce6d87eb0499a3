"""Debian's chromium driven by Playwright, for every face's browser tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HAVE_CHROMIUM = Path(CHROMIUM).exists()

__all__ = ["CHROMIUM", "arrive", "chromium", "new_page"]


@asynccontextmanager
async def chromium() -> AsyncIterator[Any]:
    """A launched browser (the test is skipped when chromium or Playwright is missing)."""
    playwright_api = pytest.importorskip("playwright.async_api")
    if not HAVE_CHROMIUM:
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium")
    async with playwright_api.async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


async def new_page(browser: Any, *, javascript: bool = True) -> Any:
    context = await browser.new_context(
        viewport={"width": 1000, "height": 800}, java_script_enabled=javascript
    )
    return await context.new_page()


async def arrive(page: Any, pattern: str) -> None:
    """Wait for a navigation to ``pattern``; on timeout say where the browser is instead."""
    try:
        await page.wait_for_url(pattern, timeout=15_000)
    except Exception as exc:
        body = await page.locator("body").inner_text()
        raise AssertionError(f"expected {pattern}, at {page.url}: {body[:300]}") from exc
