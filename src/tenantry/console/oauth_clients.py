"""OAuth clients of both faces. Each face already has its page (PERSCOM's clients with their
grants, Percolate's applications with the secret behind a fresh TOTP); the console lists
both and links to them rather than keeping a second copy of either."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from tenantry.console.access import admin_of
from tenantry.console.layout import render
from tenantry.core.tenancy import tenant_session
from tenantry.web.templating import PageDep

PATH = "/console/oauth-clients"

router = APIRouter(include_in_schema=False)

__all__ = ["PATH", "router"]


@router.get(PATH)
async def oauth_clients(page: PageDep) -> Response:
    admin = await admin_of(page)
    if isinstance(admin, Response):
        return admin
    state = page.request.app.state
    perscom_clients: list[object] = []
    percolate_clients: list[object] = []
    async with tenant_session(page.platform.sessions, admin.tenant_id) as session:
        if getattr(state, "perscom", None) is not None:
            from tenantry.perscom.oauth import clients

            perscom_clients = list(await clients.list_clients(session))
        if "percolate" in getattr(state, "faces", {}):
            from tenantry.percolate.oauth import service

            percolate_clients = list(await service.list_clients(session))
    return render(
        page,
        "console/oauth_clients.html",
        section=PATH,
        perscom_clients=perscom_clients,
        percolate_clients=percolate_clients,
        has_perscom=getattr(state, "perscom", None) is not None,
        has_percolate="percolate" in getattr(state, "faces", {}),
    )
