"""One Percolate application (OAuth client) in the console: its details, its secret shown or
reset behind a fresh TOTP code, and revoking it after a confirmation (every token issued to
it is disabled). The rules are Percolate's own (:mod:`tenantry.percolate.oauth.service`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from starlette.responses import Response

from tenantry.console.access import admin_of
from tenantry.console.client_pages import SECTION, ClientPages
from tenantry.percolate import ids
from tenantry.percolate.oauth import service
from tenantry.web.templating import PageDep

PATH = SECTION + "/percolate/{key}"

router = APIRouter(include_in_schema=False)
RowId = Annotated[int, Path(ge=1, le=2**63 - 1)]

__all__ = ["PAGES", "PATH", "router"]


PAGES = ClientPages(
    face="percolate",
    clients=service,
    template="console/percolate_client.html",
    noun="application",
    revoking="The application stops working, and every token issued to it is disabled. "
    "This cannot be undone.",
    revoked=lambda key: f"{SECTION}?revoked=percolate",
    facts=lambda client: {"client_id": ids.encode(ids.CLIENT, client.id)},
)


@router.get(PATH)
async def client_page(page: PageDep, key: RowId) -> Response:
    admin = await admin_of(page)
    if isinstance(admin, Response):
        return admin
    return await PAGES.view(page, admin, key)


@router.post(PATH + "/secret")
async def show_secret(page: PageDep, key: RowId) -> Response:
    return await PAGES.show_secret(page, key)


@router.post(PATH + "/reset-secret")
async def reset_secret(page: PageDep, key: RowId) -> Response:
    return await PAGES.reset_secret(page, key)


@router.get(PATH + "/revoke")
async def confirm_revoke(page: PageDep, key: RowId) -> Response:
    return await PAGES.confirm_revoke(page, key)


@router.post(PATH + "/revoke")
async def revoke(page: PageDep, key: RowId) -> Response:
    return await PAGES.revoke(page, key)
