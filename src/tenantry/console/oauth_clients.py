"""OAuth clients of both faces: the list, and a registration form for each face's clients.

A new client's secret is shown once on its page, with a copy button; after that it is shown
or reset only behind a fresh TOTP code (:mod:`.perscom_client`, :mod:`.percolate_client`).
Registration goes through each face's own service, so its checks (redirect URIs, grant
types, Percolate's two-factor rule for registrars) are the ones its own pages apply.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.datastructures import FormData
from starlette.responses import Response

from tenantry.console.access import admin_of
from tenantry.console.layout import render
from tenantry.core.errors import ValidationFailed
from tenantry.core.tenancy import tenant_session
from tenantry.web.pages import form_text
from tenantry.web.signin import SignedInUser
from tenantry.web.templating import Page, PageDep

PATH = "/console/oauth-clients"
PERSCOM_BLANK = {
    "name": "",
    "redirect_uris": "",
    "grant_types": ["authorization_code", "refresh_token"],
}
PERCOLATE_BLANK = {"name": "", "redirect_uri": ""}

router = APIRouter(include_in_schema=False)

__all__ = ["PATH", "has_face", "router"]


def has_face(page: Page, name: str) -> bool:
    """Whether the app serves face ``name`` (the console only offers what is installed)."""
    return name in getattr(page.request.app.state, "faces", {})


def _problems(exc: ValidationFailed) -> str:
    return "; ".join(e.message for e in exc.errors) or exc.message


async def _view(
    page: Page,
    admin: SignedInUser,
    *,
    status: int = 200,
    error: str | None = None,
    notice: str | None = None,
    face: str | None = None,
    form: dict[str, Any] | None = None,
) -> Response:
    perscom_clients: list[Any] = []
    percolate_clients: list[Any] = []
    async with tenant_session(page.platform.sessions, admin.tenant_id) as session:
        if has_face(page, "perscom"):
            from tenantry.perscom.oauth import clients

            perscom_clients = list(await clients.list_clients(session))
        if has_face(page, "percolate"):
            from tenantry.percolate.oauth import service

            percolate_clients = list(await service.list_clients(session))
    grant_types: tuple[str, ...] = ()
    if has_face(page, "perscom"):
        from tenantry.perscom.oauth.store import GRANT_TYPES

        grant_types = GRANT_TYPES
    return render(
        page,
        "console/oauth_clients.html",
        section=PATH,
        status=status,
        error=error,
        notice=notice,
        perscom_clients=perscom_clients,
        percolate_clients=percolate_clients,
        has_perscom=has_face(page, "perscom"),
        has_percolate=has_face(page, "percolate"),
        grant_types=grant_types,
        perscom_form=form if face == "perscom" and form else PERSCOM_BLANK,
        percolate_form=form if face == "percolate" and form else PERCOLATE_BLANK,
    )


@router.get(PATH)
async def oauth_clients(page: PageDep, revoked: str = "") -> Response:
    admin = await admin_of(page)
    if isinstance(admin, Response):
        return admin
    notice = "The application is revoked, and every token issued to it is disabled."
    return await _view(page, admin, notice=notice if revoked else None)


def _uris(form: FormData) -> list[str]:
    return [line.strip() for line in form_text(form, "redirect_uris", 8000).splitlines()][:20]


@router.post(PATH + "/perscom")
async def register_perscom(page: PageDep) -> Response:
    form = await page.form()
    admin = await admin_of(page)
    if isinstance(admin, Response):
        return admin
    if not has_face(page, "perscom"):
        return await _view(page, admin, status=404, error="PERSCOM is not served here.")
    from tenantry.console import perscom_client
    from tenantry.perscom.oauth import clients

    name = form_text(form, "name", 400)
    grant_types = [g for g in form.getlist("grant_types") if isinstance(g, str)][:10]
    kept: dict[str, Any] = {
        "name": name,
        "redirect_uris": form_text(form, "redirect_uris", 8000),
        "grant_types": grant_types,
    }
    box = clients.client_secret_box(page.platform.settings)
    try:
        async with tenant_session(page.platform.sessions, admin.tenant_id) as session:
            client, secret = await clients.create_client(
                session,
                box,
                name=name,
                redirect_uris=[uri for uri in _uris(form) if uri],
                grant_types=grant_types,
            )
            client_id = client.client_uuid
    except ValidationFailed as exc:
        return await _view(page, admin, status=400, error=_problems(exc), face="perscom", form=kept)
    notice = "The client is registered. Copy its secret now: it is shown again only behind a "
    notice += "two-factor code."
    return await perscom_client.PAGES.view(
        page, admin, client_id, status=200, notice=notice, secret=secret
    )


@router.post(PATH + "/percolate")
async def register_percolate(page: PageDep) -> Response:
    form = await page.form()
    admin = await admin_of(page)
    if isinstance(admin, Response):
        return admin
    if not has_face(page, "percolate"):
        return await _view(page, admin, status=404, error="Percolate is not served here.")
    from tenantry.console import percolate_client
    from tenantry.percolate.oauth import service
    from tenantry.percolate.oauth.pages import registration_refusal

    kept = {"name": form_text(form, "name", 400), "redirect_uri": form_text(form, "redirect_uri")}
    refusal = registration_refusal(admin)
    if refusal is not None:
        return await _view(page, admin, status=403, error=refusal, face="percolate", form=kept)
    box = service.client_secret_box(page.platform.settings)
    try:
        async with tenant_session(page.platform.sessions, admin.tenant_id) as session:
            client, secret = await service.register_client(
                session,
                box,
                name=kept["name"],
                redirect_uri=kept["redirect_uri"],
                created_by_user_id=admin.user_id,
            )
            key = client.id
    except ValidationFailed as exc:
        return await _view(
            page, admin, status=400, error=_problems(exc), face="percolate", form=kept
        )
    notice = "The application is registered. Copy its secret now: it is shown again only "
    notice += "behind a two-factor code."
    return await percolate_client.PAGES.view(
        page, admin, key, status=200, notice=notice, secret=secret
    )
