"""PERSCOM webhooks: create, edit, delete, send a test event, and each webhook's delivery log
(status, attempt, response code, duration, payload and response excerpts) with a replay.

Every change goes through :mod:`tenantry.perscom.webhooks.service`, the rules ``/v1/webhooks``
and the CLI follow, so the checks (the SSRF guard, known events) are the same.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from sqlalchemy import select
from starlette.datastructures import FormData
from starlette.responses import Response

from tenantry.console.access import admin_of
from tenantry.console.layout import PAGE_SIZE, page_number, paged_rows, render
from tenantry.console.webhook_pages import (
    NOTICES,
    before_id,
    delete_confirmation,
    delivery_log,
    replay_confirmation,
)
from tenantry.core.errors import NotFound, TenantryError
from tenantry.core.tenancy import tenant_session
from tenantry.core.webhooks import WebhookDelivery
from tenantry.perscom.webhooks import service
from tenantry.perscom.webhooks.dispatch import subscription_ref
from tenantry.perscom.webhooks.events import EVENTS
from tenantry.perscom.webhooks.models import PerscomWebhook
from tenantry.web.templating import Page, PageDep

PATH = "/console/webhooks"

router = APIRouter(include_in_schema=False)
RowId = Annotated[int, Path(ge=1, le=2**63 - 1)]

__all__ = ["PATH", "router"]


def _fields(form: FormData) -> dict[str, Any]:
    description = str(form.get("description") or "").strip()
    return {
        "url": str(form.get("url") or "")[:3000],
        "method": str(form.get("method") or "post"),
        "events": [e for e in form.getlist("events") if isinstance(e, str)][:200],
        "description": description[:2000] or None,
    }


def _problems(exc: TenantryError) -> str:
    return "; ".join(e.message for e in exc.errors) or exc.message


@router.get(PATH)
async def webhooks(page: PageDep) -> Response:
    user = await admin_of(page)
    if isinstance(user, Response):
        return user
    return await _list_view(page, user.tenant_id, page_number(page))


async def _list_view(
    page: Page,
    tenant_id: int,
    number: int = 1,
    *,
    status: int = 200,
    error: str | None = None,
    form: dict[str, Any] | None = None,
) -> Response:
    async with tenant_session(page.platform.sessions, tenant_id) as session:
        hooks, shown = await paged_rows(session, PerscomWebhook, number, order=PerscomWebhook.id)
    return render(
        page,
        "console/webhooks.html",
        section=PATH,
        status=status,
        error=error,
        hooks=hooks,
        paging=shown,
        events=EVENTS,
        form=form or {"url": "", "method": "post", "events": [], "description": ""},
    )


@router.post(PATH)
async def create(page: PageDep) -> Response:
    form = await page.form()
    user = await admin_of(page)
    if isinstance(user, Response):
        return user
    fields = _fields(form)
    try:
        async with tenant_session(page.platform.sessions, user.tenant_id) as session:
            hook = await service.create_webhook(
                session, fields, allow_private=page.platform.settings.allow_private_webhooks
            )
            hook_id = hook.id
    except TenantryError as exc:
        return await _list_view(page, user.tenant_id, status=400, error=_problems(exc), form=fields)
    return page.redirect(f"{PATH}/{hook_id}?created=1")


async def _hook_view(
    page: Page,
    tenant_id: int,
    hook_id: int,
    *,
    status: int = 200,
    error: str | None = None,
    notice: str | None = None,
    form: dict[str, Any] | None = None,
) -> Response:
    before = before_id(page)
    async with tenant_session(page.platform.sessions, tenant_id) as session:
        hook = await service.get_webhook(session, hook_id)
        rows = await service.deliveries(session, hook_id, limit=PAGE_SIZE + 1, before_id=before)
    return render(
        page,
        "console/webhook.html",
        section=PATH,
        status=status,
        error=error,
        notice=notice,
        hook=hook,
        base=f"{PATH}/{hook_id}",
        secret=hook.secret,
        hook_form="console/_webhook_form.html",
        **delivery_log(rows, before),
        events=EVENTS,
        form=form
        or {
            "url": hook.url,
            "method": hook.method,
            "events": list(hook.events or []),
            "description": hook.description or "",
        },
    )


@router.get(PATH + "/{hook_id}")
async def webhook(page: PageDep, hook_id: RowId, created: int = 0, done: str = "") -> Response:
    user = await admin_of(page)
    if isinstance(user, Response):
        return user
    notice = "The webhook is created." if created else NOTICES.get(done)
    return await _hook_view(page, user.tenant_id, hook_id, notice=notice)


@router.post(PATH + "/{hook_id}")
async def update(page: PageDep, hook_id: RowId) -> Response:
    form = await page.form()
    user = await admin_of(page)
    if isinstance(user, Response):
        return user
    fields = _fields(form)
    try:
        async with tenant_session(page.platform.sessions, user.tenant_id) as session:
            await service.update_webhook(
                session,
                hook_id,
                fields,
                allow_private=page.platform.settings.allow_private_webhooks,
            )
    except NotFound:
        raise
    except TenantryError as exc:
        return await _hook_view(
            page, user.tenant_id, hook_id, status=400, error=_problems(exc), form=fields
        )
    return page.redirect(f"{PATH}/{hook_id}?done=saved")


@router.post(PATH + "/{hook_id}/test")
async def send_test(page: PageDep, hook_id: RowId) -> Response:
    await page.form()
    user = await admin_of(page)
    if isinstance(user, Response):
        return user
    async with tenant_session(page.platform.sessions, user.tenant_id) as session:
        await service.send_test(session, hook_id)
    return page.redirect(f"{PATH}/{hook_id}?done=test")


@router.get(PATH + "/{hook_id}/deliveries/{attempt_id}/replay")
async def confirm_replay(page: PageDep, hook_id: RowId, attempt_id: RowId) -> Response:
    user = await admin_of(page)
    if isinstance(user, Response):
        return user
    async with tenant_session(page.platform.sessions, user.tenant_id) as session:
        hook = await service.get_webhook(session, hook_id)
        row = await session.scalar(
            select(WebhookDelivery).where(
                WebhookDelivery.id == attempt_id,
                WebhookDelivery.subscription_ref == subscription_ref(hook_id),
            )
        )
    return replay_confirmation(page, row, url=hook.url, section=PATH, base=f"{PATH}/{hook_id}")


@router.post(PATH + "/{hook_id}/deliveries/{attempt_id}/replay")
async def replay(page: PageDep, hook_id: RowId, attempt_id: RowId) -> Response:
    await page.form()
    user = await admin_of(page)
    if isinstance(user, Response):
        return user
    async with tenant_session(page.platform.sessions, user.tenant_id) as session:
        await service.replay_delivery(session, hook_id, attempt_id)
    return page.redirect(f"{PATH}/{hook_id}?done=replay")


@router.get(PATH + "/{hook_id}/delete")
async def confirm_delete(page: PageDep, hook_id: RowId) -> Response:
    user = await admin_of(page)
    if isinstance(user, Response):
        return user
    async with tenant_session(page.platform.sessions, user.tenant_id) as session:
        hook = await service.get_webhook(session, hook_id)
    message = f"{hook.url} stops receiving events. This cannot be undone."
    return delete_confirmation(page, message, section=PATH, base=f"{PATH}/{hook_id}")


@router.post(PATH + "/{hook_id}/delete")
async def delete(page: PageDep, hook_id: RowId) -> Response:
    await page.form()
    user = await admin_of(page)
    if isinstance(user, Response):
        return user
    async with tenant_session(page.platform.sessions, user.tenant_id) as session:
        await service.delete_webhook(session, hook_id)
    return page.redirect(PATH)
