"""The whole dance as a third party sees it: Authlib's OAuth 2.0 client against a live server,
with Debian's chromium (driven by Playwright) signing in, passing TOTP and consenting.

Screenshots of every page land in ``test-output/oauth-browser/``.
"""

from __future__ import annotations

import shutil
import warnings
from collections.abc import AsyncIterator
from typing import Any

import pytest
from tests.browser import arrive, chromium, new_page
from tests.percolate.support.oauth import OUTPUT_DIR, TOKEN_URL, People

with warnings.catch_warnings():
    # Authlib 1.9 nudges towards the httpx2 fork; httpx is what this project pins.
    warnings.filterwarnings("ignore", "The httpx module is deprecated", DeprecationWarning)
    from authlib.integrations.httpx_client import AsyncOAuth2Client

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

CALLBACK = "http://127.0.0.1:9/callback"
"""Nothing listens there: the browser's request is intercepted and answered by the test."""

SHOTS = OUTPUT_DIR / "oauth-browser"


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    async with chromium() as launched:
        yield launched


async def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


async def test_authlib_client_and_chromium_complete_the_dance(
    live_server: str, browser: Any, people: People
) -> None:
    shutil.rmtree(SHOTS, ignore_errors=True)
    tenant = await people.tenant("Browser & Sons")
    person = await people.user(tenant, roles=("admin",), two_factor_on=True, name="Bea Browser")
    client = await people.client(tenant, name="Dance <Partner>", redirect_uri=CALLBACK)
    callbacks: list[str] = []

    async def capture(route: Any) -> None:
        callbacks.append(route.request.url)
        await route.fulfill(status=200, content_type="text/html", body="<h1>Callback</h1>")

    page = await new_page(browser)
    await page.route(CALLBACK + "*", capture)

    async with AsyncOAuth2Client(
        client_id=client.client_id, client_secret=client.secret, timeout=30
    ) as oauth:
        url, state = oauth.create_authorization_url(live_server + "/auth/oauth2")

        await page.goto(url)
        assert "/login" in page.url
        assert await page.locator("h1").inner_text() == "Sign in"
        assert "Browser & Sons" in await page.content() or "Browser &amp; Sons" in (
            await page.content()
        )
        await shot(page, "1-sign-in")
        await page.fill("#email", person.email)
        await page.fill("#password", person.password)
        await page.click("button[type=submit]")

        await arrive(page, "**/login/two-factor**")
        await shot(page, "2-two-factor")
        await page.fill("#code", person.totp())
        await page.click("button[type=submit]")

        await arrive(page, "**/auth/oauth2**")
        assert await page.locator("#client-name").inner_text() == "Dance <Partner>"
        assert await page.locator("#tenant-name").inner_text() == "Browser & Sons"
        await shot(page, "3-consent")
        await page.click("button[value=allow]")

        await arrive(page, CALLBACK + "**")
        await shot(page, "4-callback")
        assert len(callbacks) == 1

        token = await oauth.fetch_token(
            live_server + TOKEN_URL, authorization_response=callbacks[0], state=state
        )
        assert token["token_type"] == "bearer"
        assert token["user_id"] == f"user:{person.user_id}"
        assert token["authorized_tenant_id"] == f"account:{tenant}"

        refreshed = await oauth.refresh_token(
            live_server + TOKEN_URL, refresh_token=token["refresh_token"]
        )
        assert refreshed["access_token"] != token["access_token"]

        profile = await oauth.get(live_server + "/api/v5/me")
        assert profile.status_code == 200, profile.text
        assert profile.json()["data"]["email"] == person.email

    assert sorted(p.name for p in SHOTS.iterdir() if not p.name.startswith("settings")) == [
        "1-sign-in.png",
        "2-two-factor.png",
        "3-consent.png",
        "4-callback.png",
    ]


async def test_chromium_walks_the_settings_pages_without_javascript(
    live_server: str, browser: Any, people: People
) -> None:
    """Two-factor set-up, registration and Show secret, by a browser with scripts off."""
    tenant = await people.tenant("Settings Org")
    admin = await people.user(tenant, roles=("admin",))
    page = await new_page(browser, javascript=False)

    await page.goto(f"{live_server}/login?account={tenant}")
    await page.fill("#email", admin.email)
    await page.fill("#password", admin.password)
    await page.click("button[type=submit]")
    await arrive(page, "**/settings")
    await shot(page, "settings-1-index")

    await page.goto(f"{live_server}/settings/applications")
    assert "Turn on two-factor" in await page.content()
    await page.click("text=Set up two-factor authentication")
    await page.click("button[type=submit].primary")
    await page.wait_for_selector("img.qr")
    await shot(page, "settings-2-two-factor-qr")
    admin.totp_seed = await page.locator("#totp-seed").inner_text()
    await page.fill("#code", admin.totp())
    await page.click("text=Turn on two-factor")
    await page.wait_for_selector("#recovery-codes")
    await shot(page, "settings-3-recovery-codes")

    await page.goto(f"{live_server}/settings/applications")
    await page.fill("#name", "Browser-made app")
    await page.fill("#redirect_uri", "https://browser.example.org/cb")
    await page.click("button:has-text('Register')")
    await page.wait_for_selector("#client-id")
    await shot(page, "settings-4-application")
    await page.fill("#show-code", admin.totp())
    await page.click("button:has-text('Show secret')")
    await page.wait_for_selector("#client-secret")
    await shot(page, "settings-5-secret")
    assert len(await page.locator("#client-secret").inner_text()) >= 40
