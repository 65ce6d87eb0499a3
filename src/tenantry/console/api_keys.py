"""PERSCOM API keys: create with a scope picker (grouped by resource, or ``*``) and an expiry,
the token shown once; list; revoke after a confirmation.

Keys are issued and revoked by :mod:`tenantry.perscom.apikeys`, the code the CLI uses. Last
use comes from the PERSCOM API log (when it is on), which records the key of every call.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from sqlalchemy import func, select
from starlette.responses import Response

from tenantry.console.access import admin_of
from tenantry.console.layout import page_number, paged_rows, render
from tenantry.core.errors import NotFound, ValidationFailed
from tenantry.core.tenancy import tenant_session
from tenantry.perscom.activity.models import ApiActivity
from tenantry.perscom.apikeys import (
    EXTRA_SCOPES,
    MODELS,
    VERBS,
    ApiKey,
    ApiKeyIssuer,
    revoke_key,
)
from tenantry.web.templating import Page, PageDep

PATH = "/console/api-keys"
EXPIRIES = (("30", "30 days"), ("90", "90 days"), ("365", "1 year"), ("never", "Never"))

router = APIRouter(include_in_schema=False)
RowId = Annotated[int, Path(ge=1, le=2**63 - 1)]

__all__ = ["PATH", "router"]


def _scope_groups() -> list[tuple[str, list[str]]]:
    groups = [(model, [f"{verb}:{model}" for verb in VERBS]) for model in MODELS]
    return [*groups, ("other", list(EXTRA_SCOPES))]


def _issuer(page: Page) -> ApiKeyIssuer:
    runtime = getattr(page.request.app.state, "perscom", None)
    if runtime is None:
        raise NotFound("PERSCOM is not served here.")
    return ApiKeyIssuer(runtime.keys, page.platform.settings)


async def _view(
    page: Page,
    tenant_id: int,
    number: int = 1,
    *,
    status: int = 200,
    error: str | None = None,
    token: str | None = None,
    notice: str | None = None,
    form: dict[str, Any] | None = None,
) -> Response:
    _issuer(page)
    async with tenant_session(page.platform.sessions, tenant_id) as session:
        keys, shown = await paged_rows(session, ApiKey, number, order=ApiKey.id.desc())
        last_use = dict(
            (
                await session.execute(
                    select(ApiActivity.credential_id, func.max(ApiActivity.created_at))
                    .where(
                        ApiActivity.credential_id.in_([str(k.id) for k in keys]),
                        ApiActivity.credential_kind == "api_key",
                    )
                    .group_by(ApiActivity.credential_id)
                )
            ).all()
        )
    rows = [{"key": key, "last_used": last_use.get(str(key.id))} for key in keys]
    return render(
        page,
        "console/api_keys.html",
        section=PATH,
        status=status,
        error=error,
        notice=notice,
        token=token,
        rows=rows,
        paging=shown,
        groups=_scope_groups(),
        expiries=EXPIRIES,
        form=form or {"name": "", "scopes": [], "expiry": "365"},
    )


@router.get(PATH)
async def api_keys(page: PageDep, revoked: int = 0) -> Response:
    user = await admin_of(page)
    if isinstance(user, Response):
        return user
    notice = "The key is revoked." if revoked else None
    return await _view(page, user.tenant_id, page_number(page), notice=notice)


@router.post(PATH)
async def create(page: PageDep) -> Response:
    form = await page.form()
    user = await admin_of(page)
    if isinstance(user, Response):
        return user
    name = str(form.get("name") or "")[:300]
    scopes = [s for s in form.getlist("scopes") if isinstance(s, str)][:400]
    expiry = str(form.get("expiry") or "")
    kept = {"name": name, "scopes": scopes, "expiry": expiry}
    if expiry not in dict(EXPIRIES):
        return await _view(page, user.tenant_id, status=400, error="Choose an expiry.", form=kept)
    days = None if expiry == "never" else int(expiry)
    try:
        async with tenant_session(page.platform.sessions, user.tenant_id) as session:
            issued = await _issuer(page).issue(
                session,
                user.tenant_id,
                name=name,
                scopes=["*"] if "*" in scopes else scopes,
                user_id=user.user_id,
                expires_in_days=days,
            )
    except ValidationFailed as exc:
        return await _view(page, user.tenant_id, status=400, error=exc.message, form=kept)
    return await _view(
        page,
        user.tenant_id,
        token=issued.token,
        notice="The key is created. Copy it now: it is not shown again.",
    )


@router.get(PATH + "/{key_id}/revoke")
async def confirm_revoke(page: PageDep, key_id: RowId) -> Response:
    user = await admin_of(page)
    if isinstance(user, Response):
        return user
    async with tenant_session(page.platform.sessions, user.tenant_id) as session:
        key = await session.scalar(select(ApiKey).where(ApiKey.id == key_id))
    if key is None:
        raise NotFound("No such API key.")
    return render(
        page,
        "console/confirm.html",
        section=PATH,
        heading=f"Revoke the key {key.name}?",
        message="Integrations using this key stop working at once. This cannot be undone.",
        action=f"{PATH}/{key_id}/revoke",
        button="Revoke key",
        back=PATH,
    )


@router.post(PATH + "/{key_id}/revoke")
async def revoke(page: PageDep, key_id: RowId) -> Response:
    await page.form()
    user = await admin_of(page)
    if isinstance(user, Response):
        return user
    async with tenant_session(page.platform.sessions, user.tenant_id) as session:
        await revoke_key(session, key_id)
    return page.redirect(PATH + "?revoked=1")
