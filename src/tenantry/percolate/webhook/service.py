"""Webhook rules: register, load, change and delete the receivers post webhooks deliver to.

The seed associates posts with webhooks (``postwebhook``) but has no endpoint registering
them. A webhook has a ``url`` (checked against SSRF when registered, and again by the core
before every delivery), a ``secret`` the deliveries are signed with (write-only) and the
``events`` it wants. Its delivery log can be read back and any attempt replayed.
"""

from __future__ import annotations

from sqlalchemy import delete

from tenantry.core.resources.scoped import of_tenant
from tenantry.core.webhooks import check_destination
from tenantry.percolate.api.context import V5Context, forbidden
from tenantry.percolate.api.ids import parse_scope
from tenantry.percolate.webhook.bodies import WebhookCreate, WebhookUpdate
from tenantry.percolate.webhook.models import PostWebhook, Webhook


async def _checked_url(ctx: V5Context, url: str) -> str:
    await check_destination(url, ctx.platform.settings.allow_private_webhooks)
    return url


async def create_webhook(ctx: V5Context, body: WebhookCreate) -> int:
    scope_id = (
        await ctx.scope_of(parse_scope(body.scope_id, "scope_id"), "scope_id")
        if body.scope_id is not None
        else None
    )
    await ctx.require("webhook:manage", scope_id, "scope_id", body.scope_id)
    webhook = Webhook(
        tenant_id=ctx.tenant_id,
        scope_id=scope_id,
        url=await _checked_url(ctx, body.url),
        secret=body.secret,
        events=list(dict.fromkeys(body.events)),
    )
    ctx.session.add(webhook)
    await ctx.session.flush()
    return webhook.id


async def load_webhook(ctx: V5Context, key: int, wire_key: str, capability: str) -> Webhook:
    """A webhook the caller may read and holds ``capability`` for (else 403)."""
    wire = f"webhook:{key}"
    webhook = await ctx.session.get(Webhook, (ctx.tenant_id, key))
    if webhook is None or not await ctx.can("webhook:read", webhook.scope_id):
        raise forbidden(wire_key, wire, "webhook")
    await ctx.require(capability, webhook.scope_id, wire_key, wire)
    return webhook


async def update_webhook(ctx: V5Context, key: int, body: WebhookUpdate) -> None:
    webhook = await load_webhook(ctx, key, "webhook_id", "webhook:manage")
    if body.url is not None:
        webhook.url = await _checked_url(ctx, body.url)
    if body.secret is not None:
        webhook.secret = body.secret
    if body.events is not None:
        webhook.events = list(dict.fromkeys(body.events))
    await ctx.session.flush()


async def delete_webhook(ctx: V5Context, key: int) -> None:
    webhook = await load_webhook(ctx, key, "webhook_id", "webhook:manage")
    await ctx.session.execute(
        delete(PostWebhook)
        .where(of_tenant(PostWebhook, ctx.tenant_id), PostWebhook.webhook_id == key)
        .execution_options(synchronize_session=False)
    )
    await ctx.session.delete(webhook)
    await ctx.session.flush()
