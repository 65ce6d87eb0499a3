"""The console in Debian's chromium: an admin signs in with password and TOTP, then creates
and revokes an API key, finds the revocation in the audit log, creates a webhook, sends a
test event, reads the delivery log and replays a delivery, invites someone, resets a user's
two-factor, and renames the organisation. Every page is checked with axe-core (0 serious or
critical violations) and photographed into ``test-output/console/`` (the committed copies are
in ``docs/console/``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.browser import arrive, chromium
from tests.core.webhooks.test_webhooks import Receiver, eventually, running_worker
from tests.live import free_port, serving
from tests.percolate.support.oauth import People

from tenantry.app import create_app
from tenantry.core.jobs import Job
from tenantry.core.tenancy import tenant_session
from tenantry.core.webhooks import DELIVERY_JOB
from tenantry.perscom.oauth import clients
from tenantry.settings import Settings

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[3]
AXE = ROOT / "tests" / "web" / ".node" / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = ROOT / "test-output" / "console"
BLOCKING = ("serious", "critical")


@pytest.fixture(scope="module")
def console_server(settings: Settings, migrated: None) -> Iterator[str]:
    port = free_port()
    live = settings.model_copy(
        update={"base_url": f"http://127.0.0.1:{port}", "allow_private_webhooks": True}
    )
    with serving(create_app(live), port) as base:
        yield base


async def check_page(page: Any, name: str) -> None:
    """axe-core on the page as shown: no serious or critical violation; then a screenshot."""
    await page.add_script_tag(path=str(AXE))
    result = await page.evaluate("async () => await axe.run(document)")
    blocking = [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in BLOCKING
    ]
    assert blocking == [], f"{name}: {blocking}"
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / f"{name}.png"))


async def test_every_console_page_in_a_browser(
    console_server: str,
    people: People,
    receiver: Receiver,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    if not AXE.exists():
        pytest.skip("axe-core is missing: make node-deps")
    tenant = await people.tenant("1st Cavalry")
    admin = await people.user(tenant, roles=("admin",), two_factor_on=True, name="Grace Admin")
    member = await people.user(tenant, two_factor_on=True, name="Lin Member")

    async with chromium() as browser:
        # The console's CSP allows only its own script: axe is injected past it.
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
        await check_page(page, "overview")

        # API keys: create with two scopes, the key shown once, then revoke it.
        await page.click("text=API keys")
        await arrive(page, "**/console/api-keys")
        await page.fill("#key-name", "Roster sync")
        await page.check("input[value='view:user']")
        await page.check("input[value='view:rank']")
        await page.select_option("#key-expiry", "90")
        await page.click("button:has-text('Create key')")
        await page.wait_for_selector("#new-key")
        token = await page.input_value("#new-key")
        assert token.count(".") == 2  # a JWT
        await check_page(page, "api-key-created")
        await page.click("a:has-text('Revoke')")
        await arrive(page, "**/revoke")
        await check_page(page, "api-key-revoke")
        await page.click("button:has-text('Revoke key')")
        await arrive(page, "**/console/api-keys?revoked=1")
        assert "Revoked" in await page.locator("table").inner_text()

        # The audit log: the revocation, attributed to the admin's web session.
        await page.click("nav.console-nav >> text=Audit log")
        await arrive(page, "**/console/audit")
        await page.fill("#audit-resource", "perscom_api_keys")
        await page.click("button:has-text('Filter')")
        await arrive(page, "**/console/audit?**resource=perscom_api_keys**")
        newest = await page.locator("tbody tr").first.inner_text()
        assert "update" in newest and "web_session" in newest and "Grace Admin" in newest
        assert "revoked_at" in newest
        await check_page(page, "audit-log")

        # Webhooks: create, send a test event, read the log, replay a delivery.
        await page.goto(f"{base}/console/webhooks")
        await page.fill("#hook-url", receiver.url)
        await page.check("input[value='user.created']")
        await page.fill("#hook-description", "Roster bot")
        await check_page(page, "webhooks")
        await page.click("button:has-text('Create webhook')")
        await arrive(page, "**/console/webhooks/*?created=1")
        receiver.script = [500]
        await page.click("button:has-text('Send a test event')")
        await arrive(page, "**done=test")
        private = settings.model_copy(update={"allow_private_webhooks": True})

        async def delivered(count: int) -> bool:
            async with sessions() as session:
                jobs = list(
                    await session.scalars(
                        select(Job).where(Job.kind == DELIVERY_JOB, Job.tenant_id == tenant)
                    )
                )
            return len(jobs) == count and all(job.state == "succeeded" for job in jobs)

        async with running_worker(private, sessions):
            await eventually(lambda: delivered(1))
        await page.reload()
        await page.locator("details summary").first.click()
        assert "HTTP 200" in await page.locator("details").first.inner_text()
        await check_page(page, "webhook-deliveries")
        await page.locator("details a:has-text('Replay delivery')").first.click()
        await arrive(page, "**/replay")
        await check_page(page, "webhook-replay")
        await page.click("button:has-text('Replay delivery')")
        await arrive(page, "**done=replay")
        async with running_worker(private, sessions):
            await eventually(lambda: delivered(2))
        assert receiver.count() == 3

        # Users: invite, then reset a member's two-factor.
        await page.goto(f"{base}/console/users")
        await page.fill("#invite-email", f"invitee-{tenant}@example.org")
        await page.fill("#invite-name", "Ada Invitee")
        await page.click("button:has-text('Send invitation')")
        await arrive(page, "**/console/users?done=invited")
        assert "Invited" in await page.locator("table").inner_text()
        await check_page(page, "users")
        await page.click("a:has-text('Lin Member')")
        await arrive(page, f"**/console/users/{member.user_id}")
        await check_page(page, "user")
        await page.click("a:has-text('Reset two-factor')")
        await arrive(page, "**/reset-two-factor")
        await check_page(page, "user-two-factor-reset")
        await page.click("button:has-text('Reset two-factor')")
        await arrive(page, "**done=two-factor")
        assert "Off" in await page.locator("dl").inner_text()

        # OAuth clients: a PERSCOM client's secret shown behind a fresh TOTP code.
        box = clients.client_secret_box(settings)
        async with tenant_session(sessions, tenant) as session:
            client, secret = await clients.create_client(
                session, box, name="Zapier", redirect_uris=["https://zapier.example/cb"]
            )
        await page.goto(f"{base}/console/oauth-clients")
        await check_page(page, "oauth-clients")
        await page.click("a:has-text('Zapier')")
        await arrive(page, f"**/console/oauth-clients/perscom/{client.client_uuid}")
        await page.fill("#show-code", admin.totp())
        await page.click("button:has-text('Show secret')")
        await page.wait_for_selector("#client-secret")
        assert await page.input_value("#client-secret") == secret
        await check_page(page, "oauth-client-secret")

        # The organisation.
        await page.goto(f"{base}/console/organization")
        await page.fill("#org-name", "2nd Cavalry")
        await page.click("button:has-text('Save settings')")
        await arrive(page, "**done=1")
        await check_page(page, "organization")
        await context.close()


async def test_the_axe_check_catches_an_unlabelled_field() -> None:
    """The check above is only worth something if it fails on a page with a violation."""
    if not AXE.exists():
        pytest.skip("axe-core is missing: make node-deps")
    async with chromium() as browser:
        context = await browser.new_context(bypass_csp=True)
        page = await context.new_page()
        await page.set_content(
            '<html lang="en"><title>t</title><main><input id="x" name="x"></main></html>'
        )
        with pytest.raises(AssertionError, match="label"):
            await check_page(page, "never-written")
        await context.close()
    assert not (SHOTS / "never-written.png").exists()


async def test_the_invitation_page_in_a_browser(
    console_server: str, people: People, settings: Settings
) -> None:
    if not AXE.exists():
        pytest.skip("axe-core is missing: make node-deps")
    from tenantry.core.identity import invitations
    from tenantry.core.identity.models import User

    tenant = await people.tenant()
    async with tenant_session(people.sessions, tenant) as session:
        user = await invitations.invite(
            session,
            settings,
            email=f"welcome-{tenant}@example.org",
            name="Ada",
            roles=["member"],
            organisation="Org",
            invited_by="Grace",
        )
        link = invitations.link_for(settings, user)
        assert isinstance(user, User)
    path = link.split("/", 3)[3]

    async with chromium() as browser:
        context = await browser.new_context(
            viewport={"width": 1000, "height": 700}, bypass_csp=True
        )
        page = await context.new_page()
        await page.goto(f"{console_server}/{path}")
        await check_page(page, "invitation")
        await page.fill("#password", "a long enough password")
        await page.fill("#confirm", "a long enough password")
        await page.click("button:has-text('Set password')")
        await page.wait_for_selector("text=Your password is set")
        await page.click("a:has-text('Sign in')")
        await arrive(page, "**/login?**")
        await context.close()
