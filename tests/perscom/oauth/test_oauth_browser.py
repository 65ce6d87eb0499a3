"""Sign-in and consent on ``/oauth/authorize`` in Debian's chromium (Playwright), with the
Zapier app's URL; the code it lands with is exchanged and used on ``/v1/me``.

Screenshots land in ``test-output/perscom-oauth-browser/``.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from tests.browser import arrive, chromium, new_page
from tests.perscom.conftest import bearer
from tests.perscom.oauth_support import REDIRECT_URI, Orgs
from tests.signin import query_of

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

SHOTS = Path(__file__).resolve().parents[3] / "test-output" / "perscom-oauth-browser"


async def test_chromium_signs_in_and_consents(dashboard: str, orgs: Orgs) -> None:
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    tenant = await orgs.tenant()
    person = await orgs.person(tenant, name="Bea Browser")
    app_client = await orgs.client(tenant, name="Zapier <Beta>")
    callbacks: list[str] = []

    async def capture(route: Any) -> None:
        callbacks.append(route.request.url)
        await route.fulfill(status=200, content_type="text/html", body="<h1>Zapier</h1>")

    async with chromium() as browser:
        page = await new_page(browser)
        await page.route(REDIRECT_URI + "*", capture)
        url = (
            f"{dashboard}/oauth/authorize?client_id={app_client.client_id}&state=zap-7"
            f"&redirect_uri={quote(REDIRECT_URI, safe='')}&response_type=code"
        )
        await page.goto(url)
        await arrive(page, "**/login**")
        assert await page.locator("h1").inner_text() == "Sign in"
        await page.screenshot(path=str(SHOTS / "1-sign-in.png"), full_page=True)
        await page.fill("#email", person.email)
        await page.fill("#password", person.password)
        await page.click("button[type=submit]")

        await arrive(page, "**/oauth/authorize**")
        assert await page.locator("#client-name").inner_text() == "Zapier <Beta>"
        assert "PERSCOM API" in await page.locator("section").inner_text()
        await page.screenshot(path=str(SHOTS / "2-consent.png"), full_page=True)
        await page.click("button[value=allow]")
        await arrive(page, REDIRECT_URI + "**")

    assert len(callbacks) == 1
    query = query_of(callbacks[0])
    assert query["state"] == "zap-7"
    async with httpx.AsyncClient(base_url=dashboard) as http:
        token = await http.post(
            "/oauth/token",
            json=app_client.body(
                grant_type="authorization_code", code=query["code"], redirect_uri=REDIRECT_URI
            ),
        )
        assert token.status_code == 200, token.text
        me = await http.get("/v1/me", headers=bearer(token.json()["access_token"], tenant))
        assert [row["id"] for row in me.json()["data"]] == [person.user_id]
