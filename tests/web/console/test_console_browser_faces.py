"""The console pages for both faces in Debian's chromium: a Percolate webhook created, tested
and its delivery log read; a Percolate application registered, its secret shown behind a fresh
TOTP code and the revocation confirmed; a PERSCOM client registered; every PERSCOM settings
group saved. Each page is checked with axe-core (0 serious or critical violations) and
photographed into ``test-output/console/`` (the committed copies are in ``docs/console/``).
"""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.browser import arrive, chromium
from tests.core.webhooks.test_webhooks import Receiver, eventually, running_worker
from tests.percolate.support.oauth import People
from tests.web.console.test_console_browser import AXE, check_page, console_server

from tenantry.core.jobs import Job
from tenantry.core.webhooks import DELIVERY_JOB
from tenantry.settings import Settings

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

__all__ = ["console_server"]


async def test_percolate_webhooks_clients_and_settings_in_a_browser(
    console_server: str,
    people: People,
    receiver: Receiver,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    if not AXE.exists():
        pytest.skip("axe-core is missing: make node-deps")
    tenant = await people.tenant("2nd Armoured")
    admin = await people.user(tenant, roles=("admin",), two_factor_on=True, name="Grace Admin")

    async with chromium() as browser:
        context = await browser.new_context(
            viewport={"width": 1000, "height": 800}, bypass_csp=True
        )
        page = await context.new_page()
        base = console_server
        await page.goto(f"{base}/console/")
        await arrive(page, "**/login?**")
        await page.fill("#account", str(tenant))
        await page.fill("#email", admin.email)
        await page.fill("#password", admin.password)
        await page.keyboard.press("Enter")
        await arrive(page, "**/login/two-factor**")
        await page.fill("#code", admin.totp())
        await page.keyboard.press("Enter")
        await arrive(page, f"{base}/console/")

        # Percolate webhooks: create (the secret is made and shown once), test, read the log.
        await page.click("nav.console-nav >> text=Webhooks")
        await arrive(page, "**/console/webhooks")
        await page.click("a:has-text('Percolate webhooks')")
        await arrive(page, "**/console/percolate-webhooks")
        await page.fill("#hook-url", receiver.url)
        await check_page(page, "percolate-webhooks")
        await page.click("button:has-text('Create webhook')")
        await page.wait_for_selector("#hook-secret")
        assert len(await page.input_value("#hook-secret")) >= 32
        await page.click("button:has-text('Send a test event')")
        await arrive(page, "**done=test")

        async def delivered() -> bool:
            async with sessions() as session:
                jobs = list(
                    await session.scalars(
                        select(Job).where(Job.kind == DELIVERY_JOB, Job.tenant_id == tenant)
                    )
                )
            return len(jobs) == 1 and jobs[0].state == "succeeded"

        private = settings.model_copy(update={"allow_private_webhooks": True})
        async with running_worker(private, sessions):
            await eventually(delivered)
        await page.reload()
        await page.locator("details summary").first.click()
        shown = await page.locator("details").first.inner_text()
        assert "webhook.test" in shown and "HTTP 200" in shown
        await check_page(page, "percolate-webhook-deliveries")

        # OAuth clients: register one of each face; Percolate's secret behind a fresh code.
        await page.click("nav.console-nav >> text=OAuth clients")
        await arrive(page, "**/console/oauth-clients")
        await page.fill("#perscom-client-name", "Roster bot")
        await page.fill("#perscom-client-uris", "https://bot.example/cb")
        await check_page(page, "oauth-clients")
        await page.click("button:has-text('Register PERSCOM client')")
        await page.wait_for_selector("#client-secret")
        await check_page(page, "oauth-client-registered")
        await page.goto(f"{base}/console/oauth-clients")
        await page.fill("#percolate-client-name", "Newsroom reader")
        await page.fill("#percolate-client-uri", "https://reader.example/cb")
        await page.click("button:has-text('Register Percolate application')")
        await page.wait_for_selector("#client-secret")
        first = await page.input_value("#client-secret")
        await page.click("a:has-text('All OAuth clients')")
        await page.click("a:has-text('Newsroom reader')")
        await arrive(page, "**/console/oauth-clients/percolate/*")
        assert await page.locator("#client-secret").count() == 0
        await page.fill("#show-code", admin.totp())
        await page.click("button:has-text('Show secret')")
        await page.wait_for_selector("#client-secret")
        assert await page.input_value("#client-secret") == first
        await check_page(page, "percolate-client-secret")
        await page.click("a:has-text('Revoke application')")
        await arrive(page, "**/revoke")
        await check_page(page, "percolate-client-revoke")
        await page.click("button:has-text('Revoke application')")
        await arrive(page, "**/console/oauth-clients?revoked=percolate")
        assert "Newsroom reader" not in await page.locator("main").inner_text()

        # Every PERSCOM settings group.
        await page.goto(f"{base}/console/organization")
        await page.check("#setting-registration-admin-approval-required")
        await page.fill("#setting-permission-default-roles", "User, Officer")
        await page.fill("#setting-dashboard-domain", "hq.armoured.example")
        await page.click("button:has-text('Save settings')")
        await arrive(page, "**done=1")
        assert await page.is_checked("#setting-registration-admin-approval-required")
        await check_page(page, "organization")
        await context.close()
