"""The tenant admin's page for PERSCOM OAuth clients: list, register (secret shown once),
revoke. It needs the ``manage:api`` permission ("manage API keys and external
applications", PERSCOM's own name for it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter
from starlette.responses import Response

from tenantry.core.errors import ValidationFailed
from tenantry.core.tenancy import tenant_session
from tenantry.perscom.oauth import clients
from tenantry.perscom.oauth.scopes import split_scopes
from tenantry.perscom.oauth.store import GRANT_TYPES
from tenantry.web.signin import SignedInUser
from tenantry.web.templating import NavLink, Page, PageDep

CLIENTS = "/settings/perscom-clients"
PERMISSION = "manage:api"
TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
SETTINGS_LINK = NavLink(
    CLIENTS,
    "PERSCOM OAuth clients",
    "Register integrations (such as Zapier) that connect with OAuth.",
    permissions=(PERMISSION,),
)

router = APIRouter(include_in_schema=False)

__all__ = ["SETTINGS_LINK", "TEMPLATES", "router"]


async def _manager(page: Page) -> SignedInUser | Response:
    user = await page.user()
    if user is None:
        return page.redirect(page.login_url(CLIENTS))
    if not user.can(PERMISSION):
        return page.render(
            "error.html",
            status=403,
            code=403,
            message="Managing OAuth clients needs the manage:api permission.",
            details=[],
        )
    return user


async def _view(
    page: Page,
    user: SignedInUser,
    *,
    status: int = 200,
    error: str | None = None,
    created: dict[str, Any] | None = None,
) -> Response:
    async with tenant_session(page.platform.sessions, user.tenant_id) as session:
        rows = await clients.list_clients(session)
    return page.render(
        "perscom/oauth_clients.html",
        status=status,
        error=error,
        created=created,
        clients=rows,
        grant_types=GRANT_TYPES,
        default_grants=clients.DEFAULT_GRANT_TYPES,
    )


@router.get(CLIENTS)
async def oauth_clients(page: PageDep) -> Response:
    user = await _manager(page)
    if isinstance(user, Response):
        return user
    return await _view(page, user)


@router.post(CLIENTS)
async def register(page: PageDep) -> Response:
    form = await page.form()
    user = await _manager(page)
    if isinstance(user, Response):
        return user
    uris = [line.strip() for line in str(form.get("redirect_uris") or "").splitlines()]
    grants = [str(value) for value in form.getlist("grant_types")]
    try:
        async with tenant_session(page.platform.sessions, user.tenant_id) as session:
            client, secret = await clients.create_client(
                session,
                clients.client_secret_box(page.platform.settings),
                name=str(form.get("name") or "")[:300],
                redirect_uris=[uri for uri in uris if uri],
                grant_types=grants,
                scopes=split_scopes(str(form.get("scopes") or "")[:4000]),
            )
            created = {
                "name": client.name,
                "client_id": client.client_uuid,
                "client_secret": secret,
            }
    except ValidationFailed as exc:
        problems = "; ".join(e.message for e in exc.errors) or exc.message
        return await _view(page, user, status=400, error=problems)
    return await _view(page, user, created=created)


@router.post(CLIENTS + "/{client_id}/revoke")
async def revoke(page: PageDep, client_id: str) -> Response:
    await page.form()
    user = await _manager(page)
    if isinstance(user, Response):
        return user
    async with tenant_session(page.platform.sessions, user.tenant_id) as session:
        await clients.revoke_client(session, client_id[:36])
    return page.redirect(CLIENTS)
