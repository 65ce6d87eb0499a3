"""Percolate's settings pages: OAuth applications, connected applications, API keys.

Registering an application, showing its secret and resetting it need a system admin or an
integration client manager with two-factor enabled (seed); showing or resetting the secret
also needs a fresh TOTP code each time.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Path
from starlette.responses import Response

from tenantry.core.errors import NotFound, ValidationFailed
from tenantry.core.tenancy import tenant_session
from tenantry.percolate import ids
from tenantry.percolate.oauth import service
from tenantry.percolate.oauth.apikeys import create_api_key, list_api_keys, revoke_api_key
from tenantry.percolate.oauth.models import OAuthClient
from tenantry.percolate.permissions import CLIENT_REGISTRARS
from tenantry.web.fresh_code import secret_action
from tenantry.web.pages import form_text
from tenantry.web.signin import SignedInUser
from tenantry.web.templating import NavLink, Page, PageDep

APPLICATIONS = "/settings/applications"
CONNECTED = "/settings/connected-applications"
API_KEYS = "/settings/api-keys"

SETTINGS_LINKS = (
    NavLink(
        APPLICATIONS,
        "Applications",
        "Register OAuth applications and manage their secrets.",
        permissions=CLIENT_REGISTRARS,
    ),
    NavLink(CONNECTED, "Connected applications", "Applications you have let act for you."),
    NavLink(API_KEYS, "API keys", "Personal keys for scripts and older integrations."),
)

router = APIRouter(include_in_schema=False)

RowId = Annotated[int, Path(ge=1, le=2**63 - 1)]

__all__ = ["SETTINGS_LINKS", "registration_refusal", "router"]


def registration_refusal(user: SignedInUser) -> str | None:
    """Why ``user`` may not manage applications, or ``None`` when they may."""
    if not any(user.can(p) for p in CLIENT_REGISTRARS):
        return "Only a system admin or an integration client manager can register applications."
    if not user.two_factor:
        return "Turn on two-factor authentication before registering applications."
    return None


async def _registrar(page: Page, path: str) -> SignedInUser | Response:
    """The signed-in user when they may manage applications, else the response to send."""
    user = await page.user()
    if user is None:
        return page.redirect(page.login_url(path))
    refusal = registration_refusal(user)
    if refusal is not None:
        return page.render(
            "percolate/refused.html",
            status=403,
            message=refusal,
            needs_two_factor=not user.two_factor,
        )
    return user


def _registrar_of(key: int) -> Callable[[Page], Awaitable[SignedInUser | Response]]:
    """The :func:`_registrar` check of application ``key``'s page (sign-in comes back to it)."""
    return partial(_registrar, path=f"{APPLICATIONS}/{key}")


def _client_view(client: OAuthClient) -> dict[str, Any]:
    return {
        "key": client.id,
        "client_id": ids.encode(ids.CLIENT, client.id),
        "name": client.name,
        "redirect_uri": client.redirect_uri,
        "created_at": client.created_at,
    }


@router.get(APPLICATIONS)
async def applications(page: PageDep) -> Response:
    user = await _registrar(page, APPLICATIONS)
    if isinstance(user, Response):
        return user
    return await _applications_view(page, user)


async def _applications_view(
    page: Page,
    user: SignedInUser,
    *,
    status: int = 200,
    error: str | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    async with tenant_session(page.platform.sessions, user.tenant_id) as session:
        clients = [_client_view(c) for c in await service.list_clients(session)]
    return page.render(
        "percolate/applications.html",
        status=status,
        error=error,
        clients=clients,
        form=form or {"name": "", "redirect_uri": ""},
    )


@router.post(APPLICATIONS)
async def register_application(page: PageDep) -> Response:
    form = await page.form()
    user = await _registrar(page, APPLICATIONS)
    if isinstance(user, Response):
        return user
    name = form_text(form, "name", 400)
    redirect_uri = form_text(form, "redirect_uri", 4000)
    box = service.client_secret_box(page.platform.settings)
    try:
        async with tenant_session(page.platform.sessions, user.tenant_id) as session:
            client, _secret = await service.register_client(
                session, box, name=name, redirect_uri=redirect_uri, created_by_user_id=user.user_id
            )
    except ValidationFailed as exc:
        problems = "; ".join(e.message for e in exc.errors) or exc.message
        return await _applications_view(
            page,
            user,
            status=400,
            error=problems,
            form={"name": name, "redirect_uri": redirect_uri},
        )
    return page.redirect(f"{APPLICATIONS}/{client.id}?registered=1")


async def _application_view(
    page: Page,
    user: SignedInUser,
    key: int,
    *,
    status: int = 200,
    error: str | None = None,
    notice: str | None = None,
    secret: str | None = None,
) -> Response:
    async with tenant_session(page.platform.sessions, user.tenant_id) as session:
        client = await service.get_client(session, key)
    return page.render(
        "percolate/application.html",
        status=status,
        error=error,
        notice=notice,
        client=_client_view(client),
        secret=secret,
    )


@router.get(APPLICATIONS + "/{key}")
async def application(page: PageDep, key: RowId, registered: int = 0) -> Response:
    user = await _registrar(page, f"{APPLICATIONS}/{key}")
    if isinstance(user, Response):
        return user
    notice = "The application is registered. Use Show secret to see its client secret."
    return await _application_view(page, user, key, notice=notice if registered else None)


@router.post(APPLICATIONS + "/{key}/secret")
async def show_secret(page: PageDep, key: RowId) -> Response:
    return await secret_action(
        page, key, signed_in=_registrar_of(key), clients=service, view=_application_view
    )


@router.post(APPLICATIONS + "/{key}/reset-secret")
async def reset_secret(page: PageDep, key: RowId) -> Response:
    notice = "The secret was reset. The old secret no longer works."
    return await secret_action(
        page,
        key,
        signed_in=_registrar_of(key),
        clients=service,
        view=_application_view,
        reset=True,
        notice=notice,
    )


@router.get(CONNECTED)
async def connected_applications(page: PageDep) -> Response:
    user = await page.user()
    if user is None:
        return page.redirect(page.login_url(CONNECTED))
    async with tenant_session(page.platform.sessions, user.tenant_id) as session:
        apps = await service.connected_applications(session, user.user_id)
    return page.render("percolate/connected.html", applications=apps)


@router.post(CONNECTED + "/{token_id}/disable")
async def disable_connected_application(page: PageDep, token_id: RowId) -> Response:
    await page.form()
    user = await page.user()
    if user is None:
        return page.redirect(page.login_url(CONNECTED))
    async with tenant_session(page.platform.sessions, user.tenant_id) as session:
        if not await service.disable_token(session, user.user_id, token_id):
            raise NotFound("No such connected application.")
    return page.redirect(CONNECTED)


async def _api_keys_view(
    page: Page,
    user: SignedInUser,
    *,
    status: int = 200,
    error: str | None = None,
    new_key: str | None = None,
) -> Response:
    async with tenant_session(page.platform.sessions, user.tenant_id) as session:
        keys = await list_api_keys(session, user.user_id)
    return page.render(
        "percolate/api_keys.html", status=status, error=error, keys=keys, new_key=new_key
    )


@router.get(API_KEYS)
async def api_keys(page: PageDep) -> Response:
    user = await page.user()
    if user is None:
        return page.redirect(page.login_url(API_KEYS))
    return await _api_keys_view(page, user)


@router.post(API_KEYS)
async def create_key(page: PageDep) -> Response:
    form = await page.form()
    user = await page.user()
    if user is None:
        return page.redirect(page.login_url(API_KEYS))
    try:
        async with tenant_session(page.platform.sessions, user.tenant_id) as session:
            _row, key = await create_api_key(session, user.user_id, form_text(form, "name", 400))
    except ValidationFailed as exc:
        return await _api_keys_view(page, user, status=400, error=exc.message)
    return await _api_keys_view(page, user, new_key=key)


@router.post(API_KEYS + "/{key_id}/revoke")
async def revoke_key(page: PageDep, key_id: RowId) -> Response:
    await page.form()
    user = await page.user()
    if user is None:
        return page.redirect(page.login_url(API_KEYS))
    async with tenant_session(page.platform.sessions, user.tenant_id) as session:
        if not await revoke_api_key(session, user.user_id, key_id):
            raise NotFound("No such API key.")
    return page.redirect(API_KEYS)
