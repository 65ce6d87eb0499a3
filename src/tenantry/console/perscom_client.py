"""One PERSCOM OAuth client in the console: its details, its secret shown or reset behind a
fresh TOTP code (as Percolate's application page does), and revoking it after a confirmation.

An admin without two-factor is told to turn it on first: a secret is never shown on the
strength of a password alone.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from starlette.responses import Response

from tenantry.console.access import admin_of
from tenantry.console.layout import render
from tenantry.core.tenancy import tenant_session
from tenantry.perscom.oauth import clients
from tenantry.web.fresh_code import secret_action
from tenantry.web.signin import SignedInUser
from tenantry.web.templating import Page, PageDep

SECTION = "/console/oauth-clients"
PATH = SECTION + "/perscom/{client_id}"

router = APIRouter(include_in_schema=False)
ClientId = Annotated[str, Path(min_length=36, max_length=36)]

__all__ = ["PATH", "client_view", "router"]


async def client_view(
    page: Page,
    admin: SignedInUser,
    client_id: str,
    *,
    status: int = 200,
    error: str | None = None,
    notice: str | None = None,
    secret: str | None = None,
) -> Response:
    async with tenant_session(page.platform.sessions, admin.tenant_id) as session:
        client = await clients.get_client(session, client_id)
    return render(
        page,
        "console/perscom_client.html",
        section=SECTION,
        status=status,
        error=error,
        notice=notice,
        client=client,
        secret=secret,
        two_factor_on=admin.two_factor,
    )


@router.get(PATH)
async def client_page(page: PageDep, client_id: ClientId, done: str = "") -> Response:
    admin = await admin_of(page)
    if isinstance(admin, Response):
        return admin
    notice = "The client is revoked, and so is every token issued to it." if done else None
    return await client_view(page, admin, client_id, notice=notice)


@router.post(PATH + "/secret")
async def show_secret(page: PageDep, client_id: ClientId) -> Response:
    return await secret_action(
        page, client_id, signed_in=admin_of, clients=clients, view=client_view
    )


@router.post(PATH + "/reset-secret")
async def reset_secret(page: PageDep, client_id: ClientId) -> Response:
    notice = "The secret is reset. The old secret no longer works."
    return await secret_action(
        page,
        client_id,
        signed_in=admin_of,
        clients=clients,
        view=client_view,
        reset=True,
        notice=notice,
    )


@router.get(PATH + "/revoke")
async def confirm_revoke(page: PageDep, client_id: ClientId) -> Response:
    admin = await admin_of(page)
    if isinstance(admin, Response):
        return admin
    async with tenant_session(page.platform.sessions, admin.tenant_id) as session:
        client = await clients.get_client(session, client_id)
    return render(
        page,
        "console/confirm.html",
        section=SECTION,
        heading=f"Revoke {client.name}?",
        message="The client stops working, and every token issued to it is revoked. "
        "This cannot be undone.",
        action=f"{SECTION}/perscom/{client_id}/revoke",
        button="Revoke client",
        back=f"{SECTION}/perscom/{client_id}",
    )


@router.post(PATH + "/revoke")
async def revoke(page: PageDep, client_id: ClientId) -> Response:
    await page.form()
    admin = await admin_of(page)
    if isinstance(admin, Response):
        return admin
    async with tenant_session(page.platform.sessions, admin.tenant_id) as session:
        await clients.revoke_client(session, client_id)
    return page.redirect(f"{SECTION}/perscom/{client_id}?done=revoked")
