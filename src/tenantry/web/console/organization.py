"""The organisation's name: the ``organization`` settings group PERSCOM's ``/settings`` shows
and the account name Percolate shows (both read the tenant)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from tenantry.core.errors import ValidationFailed
from tenantry.core.identity import service as identity
from tenantry.web.console.access import admin_of
from tenantry.web.console.layout import render
from tenantry.web.templating import PageDep

PATH = "/console/organization"

router = APIRouter(include_in_schema=False)

__all__ = ["PATH", "router"]


@router.get(PATH)
async def organization(page: PageDep, done: int = 0) -> Response:
    admin = await admin_of(page)
    if isinstance(admin, Response):
        return admin
    notice = "The organisation is renamed." if done else None
    return render(
        page, "console/organization.html", section=PATH, notice=notice, name=admin.tenant_name
    )


@router.post(PATH)
async def rename(page: PageDep) -> Response:
    form = await page.form()
    admin = await admin_of(page)
    if isinstance(admin, Response):
        return admin
    name = str(form.get("name") or "")[:400]
    try:
        async with page.platform.sessions() as session, session.begin():
            await identity.rename_tenant(session, admin.tenant_id, name)
    except ValidationFailed as exc:
        return render(
            page,
            "console/organization.html",
            section=PATH,
            status=400,
            error=exc.message,
            name=name,
        )
    return page.redirect(PATH + "?done=1")
