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
from tenantry.console.client_pages import SECTION, ClientPages
from tenantry.perscom.oauth import clients
from tenantry.web.templating import PageDep

PATH = SECTION + "/perscom/{client_id}"

router = APIRouter(include_in_schema=False)
ClientId = Annotated[str, Path(min_length=36, max_length=36)]

__all__ = ["PAGES", "PATH", "router"]


PAGES = ClientPages(
    face="perscom",
    clients=clients,
    template="console/perscom_client.html",
    noun="client",
    revoking="The client stops working, and every token issued to it is revoked. "
    "This cannot be undone.",
    revoked=lambda client_id: f"{SECTION}/perscom/{client_id}?done=revoked",
)


@router.get(PATH)
async def client_page(page: PageDep, client_id: ClientId, done: str = "") -> Response:
    admin = await admin_of(page)
    if isinstance(admin, Response):
        return admin
    notice = "The client is revoked, and so is every token issued to it." if done else None
    return await PAGES.view(page, admin, client_id, notice=notice)


@router.post(PATH + "/secret")
async def show_secret(page: PageDep, client_id: ClientId) -> Response:
    return await PAGES.show_secret(page, client_id)


@router.post(PATH + "/reset-secret")
async def reset_secret(page: PageDep, client_id: ClientId) -> Response:
    return await PAGES.reset_secret(page, client_id)


@router.get(PATH + "/revoke")
async def confirm_revoke(page: PageDep, client_id: ClientId) -> Response:
    return await PAGES.confirm_revoke(page, client_id)


@router.post(PATH + "/revoke")
async def revoke(page: PageDep, client_id: ClientId) -> Response:
    return await PAGES.revoke(page, client_id)
