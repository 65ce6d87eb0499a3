"""Percolate webhooks: create, edit, delete, send a test event, and each webhook's delivery
log (status, attempt, response code, duration, payload and response excerpts) with a replay.

Every change goes through :mod:`tenantry.percolate.webhook.service` in a v5 context opened
for the signed-in admin (:func:`open_user_context`), so the SSRF guard, the events and the
capability checks are those of ``/api/v5/webhook/``. A webhook's signing secret is write-only
there; the console makes one when none is typed and shows it once.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import ValidationError
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
from tenantry.percolate.api.context import V5Context, open_user_context
from tenantry.percolate.api.runtime import PercolateRuntime
from tenantry.percolate.webhook import service
from tenantry.percolate.webhook.bodies import WebhookCreate, WebhookUpdate
from tenantry.percolate.webhook.declaration import DELIVERY, EVENTS
from tenantry.percolate.webhook.models import Webhook
from tenantry.web.pages import form_text
from tenantry.web.signin import SignedInUser
from tenantry.web.templating import Page, PageDep

PATH = "/console/percolate-webhooks"
SECTION = "/console/webhooks"

router = APIRouter(include_in_schema=False)
RowId = Annotated[int, Path(ge=1, le=2**63 - 1)]

__all__ = ["PATH", "router"]


def _runtime(page: Page) -> PercolateRuntime:
    runtime = getattr(page.request.app.state, "percolate", None)
    if runtime is None:
        raise NotFound("Percolate is not served here.")
    return runtime  # type: ignore[no-any-return]


def _fields(form: FormData) -> dict[str, Any]:
    return {
        "url": form_text(form, "url", 3000).strip(),
        "secret": form_text(form, "secret", 400).strip(),
        "events": [e for e in form.getlist("events") if isinstance(e, str)][:20],
    }


def _problems(exc: TenantryError | ValidationError) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or 'form'}: {error['msg']}"
            for error in exc.errors()
        )
    return "; ".join(e.message for e in exc.errors) or exc.message


@asynccontextmanager
async def _webhook(
    page: Page, admin: SignedInUser, key: int
) -> AsyncIterator[tuple[V5Context, Webhook]]:
    """The admin's v5 context and their tenant's webhook ``key`` (404 otherwise: the console
    is the admin's own tenant)."""
    async with open_user_context(_runtime(page), admin.tenant_id, admin.user_id) as ctx:
        hook = await ctx.session.get(Webhook, (ctx.tenant_id, key))
        if hook is None:
            raise NotFound("No such webhook.")
        yield ctx, hook


@router.get(PATH)
async def webhooks(page: PageDep) -> Response:
    admin = await admin_of(page)
    if isinstance(admin, Response):
        return admin
    return await _list_view(page, admin, page_number(page))


async def _list_view(
    page: Page,
    admin: SignedInUser,
    number: int = 1,
    *,
    status: int = 200,
    error: str | None = None,
    form: dict[str, Any] | None = None,
) -> Response:
    async with open_user_context(_runtime(page), admin.tenant_id, admin.user_id) as ctx:
        hooks, shown = await paged_rows(ctx.session, Webhook, number, order=Webhook.id)
        await ctx.load_scope_kinds(hook.scope_id for hook in hooks)
        scopes = {hook.id: ctx.scope_wire(hook.scope_id) for hook in hooks}
    return render(
        page,
        "console/percolate_webhooks.html",
        section=SECTION,
        status=status,
        error=error,
        hooks=hooks,
        scopes=scopes,
        paging=shown,
        events=EVENTS,
        form=form or {"url": "", "secret": "", "events": list(EVENTS)},
    )


@router.post(PATH)
async def create(page: PageDep) -> Response:
    form = await page.form()
    admin = await admin_of(page)
    if isinstance(admin, Response):
        return admin
    fields = _fields(form)
    secret = fields["secret"] or secrets.token_urlsafe(32)
    try:
        body = WebhookCreate.model_validate(fields | {"secret": secret})
        async with open_user_context(_runtime(page), admin.tenant_id, admin.user_id) as ctx:
            key = await service.create_webhook(ctx, body)
    except (TenantryError, ValidationError) as exc:
        kept = fields | {"secret": ""}
        return await _list_view(page, admin, status=400, error=_problems(exc), form=kept)
    shown = None if fields["secret"] else secret
    notice = "The webhook is created."
    if shown:
        notice += " Copy its signing secret now: it is not shown again."
    return await _hook_view(page, admin, key, notice=notice, secret=shown)


async def _hook_view(
    page: Page,
    admin: SignedInUser,
    key: int,
    *,
    status: int = 200,
    error: str | None = None,
    notice: str | None = None,
    secret: str | None = None,
    form: dict[str, Any] | None = None,
) -> Response:
    before = before_id(page)
    async with _webhook(page, admin, key) as (ctx, hook):
        rows = await service.deliveries(ctx, key, limit=PAGE_SIZE + 1, before_id=before)
        await ctx.load_scope_kinds([hook.scope_id])
        scope = ctx.scope_wire(hook.scope_id)
    return render(
        page,
        "console/percolate_webhook.html",
        section=SECTION,
        status=status,
        error=error,
        notice=notice,
        hook=hook,
        base=f"{PATH}/{key}",
        scope=scope,
        secret=secret,
        hook_form="console/_percolate_webhook_form.html",
        **delivery_log(rows, before),
        events=EVENTS,
        form=form or {"url": hook.url, "secret": "", "events": list(hook.events or [])},
    )


@router.get(PATH + "/{key}")
async def webhook(page: PageDep, key: RowId, done: str = "") -> Response:
    admin = await admin_of(page)
    if isinstance(admin, Response):
        return admin
    return await _hook_view(page, admin, key, notice=NOTICES.get(done))


@router.post(PATH + "/{key}")
async def update(page: PageDep, key: RowId) -> Response:
    form = await page.form()
    admin = await admin_of(page)
    if isinstance(admin, Response):
        return admin
    fields = _fields(form)
    try:
        body = WebhookUpdate.model_validate(fields | {"secret": fields["secret"] or None})
        async with _webhook(page, admin, key) as (ctx, _):
            await service.update_webhook(ctx, key, body)
    except NotFound:
        raise
    except (TenantryError, ValidationError) as exc:
        kept = fields | {"secret": ""}
        return await _hook_view(page, admin, key, status=400, error=_problems(exc), form=kept)
    return page.redirect(f"{PATH}/{key}?done=saved")


@router.post(PATH + "/{key}/test")
async def send_test(page: PageDep, key: RowId) -> Response:
    await page.form()
    admin = await admin_of(page)
    if isinstance(admin, Response):
        return admin
    async with _webhook(page, admin, key) as (ctx, _):
        await service.send_test(ctx, key)
    return page.redirect(f"{PATH}/{key}?done=test")


@router.get(PATH + "/{key}/deliveries/{attempt_id}/replay")
async def confirm_replay(page: PageDep, key: RowId, attempt_id: RowId) -> Response:
    admin = await admin_of(page)
    if isinstance(admin, Response):
        return admin
    async with _webhook(page, admin, key) as (ctx, hook):
        rows = await service.deliveries(ctx, key, limit=1, before_id=attempt_id + 1)
    row = rows[0] if rows and rows[0].id == attempt_id else None
    return replay_confirmation(page, row, url=hook.url, section=SECTION, base=f"{PATH}/{key}")


@router.post(PATH + "/{key}/deliveries/{attempt_id}/replay")
async def replay(page: PageDep, key: RowId, attempt_id: RowId) -> Response:
    await page.form()
    admin = await admin_of(page)
    if isinstance(admin, Response):
        return admin
    async with _webhook(page, admin, key) as (ctx, _):
        await service.replay_delivery(ctx, key, attempt_id, str(DELIVERY.encode(attempt_id)))
    return page.redirect(f"{PATH}/{key}?done=replay")


@router.get(PATH + "/{key}/delete")
async def confirm_delete(page: PageDep, key: RowId) -> Response:
    admin = await admin_of(page)
    if isinstance(admin, Response):
        return admin
    async with _webhook(page, admin, key) as (_, hook):
        message = f"{hook.url} stops receiving events, and its post associations are removed. "
    message += "This cannot be undone."
    return delete_confirmation(page, message, section=SECTION, base=f"{PATH}/{key}")


@router.post(PATH + "/{key}/delete")
async def delete(page: PageDep, key: RowId) -> Response:
    await page.form()
    admin = await admin_of(page)
    if isinstance(admin, Response):
        return admin
    async with _webhook(page, admin, key) as (ctx, _):
        await service.delete_webhook(ctx, key)
    return page.redirect(PATH)
