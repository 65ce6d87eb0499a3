"""Webhook rules: register, load, change and delete the receivers post webhooks deliver to.

The seed associates posts with webhooks (``postwebhook``) but has no endpoint registering
them. A webhook has a ``url`` (checked against SSRF when registered, and again by the core
before every delivery), a ``secret`` the deliveries are signed with (write-only) and the
``events`` it wants. Its delivery log can be read back, any attempt replayed, and a test
event sent. The API and the admin console both call these with a :class:`V5Context`.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, delete, or_, select

from tenantry.core.jobs import Job
from tenantry.core.resources.scoped import of_tenant
from tenantry.core.webhooks import WebhookDelivery, check_destination, enqueue_delivery, replay
from tenantry.percolate.api.context import V5Context, forbidden
from tenantry.percolate.api.ids import parse_scope
from tenantry.percolate.webhook.bodies import WebhookCreate, WebhookUpdate
from tenantry.percolate.webhook.declaration import TEST_EVENT, subscription_ref, test_ref
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


def of_webhook(key: int) -> ColumnElement[bool]:
    """Deliveries of webhook ``key``: those of every post associated with it, and its tests."""
    return or_(
        WebhookDelivery.subscription_ref.like(f"postwebhook:%\\_{key}", escape="\\"),
        WebhookDelivery.subscription_ref == test_ref(key),
    )


async def deliveries(
    ctx: V5Context,
    key: int,
    *,
    limit: int,
    offset: int = 0,
    before_id: int | None = None,
    post_keys: Sequence[int] | None = None,
) -> list[WebhookDelivery]:
    """The webhook's delivery log, newest attempt first (``webhook:read``)."""
    await load_webhook(ctx, key, "webhook_id", "webhook:read")
    stmt = select(WebhookDelivery).where(of_tenant(WebhookDelivery, ctx.tenant_id), of_webhook(key))
    if post_keys is not None:
        refs = [subscription_ref(post, key) for post in post_keys]
        stmt = stmt.where(WebhookDelivery.subscription_ref.in_(refs))
    if before_id is not None:
        stmt = stmt.where(WebhookDelivery.id < before_id)
    stmt = stmt.order_by(WebhookDelivery.id.desc()).limit(limit).offset(offset)
    return list((await ctx.session.scalars(stmt)).all())


async def replay_delivery(ctx: V5Context, key: int, attempt_key: int, wire: str) -> Job:
    """Send a logged attempt of this webhook again, with its current URL and secret."""
    webhook = await load_webhook(ctx, key, "webhook_id", "webhook:manage")
    found = await ctx.session.scalar(
        select(WebhookDelivery.id).where(
            of_tenant(WebhookDelivery, ctx.tenant_id),
            WebhookDelivery.id == attempt_key,
            of_webhook(key),
        )
    )
    if found is None:
        raise forbidden("delivery_id", wire, "delivery")
    return await replay(ctx.session, attempt_key, secret=webhook.secret, endpoint_url=webhook.url)


async def send_test(ctx: V5Context, key: int) -> int:
    """Enqueue ``webhook.test`` to the webhook now, whatever it listens to; the delivery id."""
    webhook = await load_webhook(ctx, key, "webhook_id", "webhook:manage")
    job = await enqueue_delivery(
        ctx.session,
        tenant_id=ctx.tenant_id,
        endpoint_url=webhook.url,
        secret=webhook.secret,
        event=TEST_EVENT,
        payload={
            "event": TEST_EVENT,
            "data": {"webhook_id": f"webhook:{key}", "url": webhook.url, "events": webhook.events},
        },
        subscription_ref=test_ref(key),
    )
    return job.id
