"""The organisation's settings: its name (the tenant's, which PERSCOM's ``/settings`` shows in
the organization group and Percolate shows as the account's name) and the PERSCOM settings
the console edits (contact email, time zone, dashboard title and subtitle)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.responses import Response

from tenantry.console.access import admin_of
from tenantry.console.layout import render
from tenantry.core.errors import ValidationFailed
from tenantry.core.identity import service as identity
from tenantry.core.tenancy import tenant_session
from tenantry.perscom.stored_settings import EDITABLE, save_settings, stored_settings
from tenantry.web.signin import SignedInUser
from tenantry.web.templating import Page, PageDep

PATH = "/console/organization"
FIELDS = {f"{group}.{name}": (group, name) for group, name in EDITABLE}

router = APIRouter(include_in_schema=False)

__all__ = ["PATH", "router"]


async def _view(
    page: Page,
    admin: SignedInUser,
    *,
    status: int = 200,
    error: str | None = None,
    notice: str | None = None,
    form: dict[str, Any] | None = None,
) -> Response:
    if form is None:
        async with tenant_session(page.platform.sessions, admin.tenant_id) as session:
            stored = await stored_settings(session)
        form = {"name": admin.tenant_name}
        form |= {field: stored.get(key) or "" for field, key in FIELDS.items()}
        form["organization.timezone"] = form["organization.timezone"] or "UTC"
    return render(
        page,
        "console/organization.html",
        section=PATH,
        status=status,
        error=error,
        notice=notice,
        form=form,
    )


@router.get(PATH)
async def organization(page: PageDep, done: int = 0) -> Response:
    admin = await admin_of(page)
    if isinstance(admin, Response):
        return admin
    return await _view(page, admin, notice="The settings are saved." if done else None)


@router.post(PATH)
async def save(page: PageDep) -> Response:
    form = await page.form()
    admin = await admin_of(page)
    if isinstance(admin, Response):
        return admin
    kept = {"name": str(form.get("name") or "")[:400]}
    kept |= {field: str(form.get(field) or "")[:400] for field in FIELDS}
    try:
        async with tenant_session(page.platform.sessions, admin.tenant_id) as session:
            await identity.rename_tenant(session, admin.tenant_id, kept["name"])
            await save_settings(session, {key: kept[field] for field, key in FIELDS.items()})
    except ValidationFailed as exc:
        return await _view(page, admin, status=400, error=exc.message, form=kept)
    return page.redirect(PATH + "?done=1")
