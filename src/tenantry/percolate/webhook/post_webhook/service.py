"""Post webhook rules: associate posts with webhooks, and announce status changes to them.

An association's id is composite, ``postwebhook:<post>_<webhook>``. Each status change of an
associated post is delivered, signed, to each of its webhooks through the core delivery
system, in the transaction of the change (:func:`announce_status_change`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, delete, exists, func, or_, select

from tenantry.core.errors import Conflict, FieldError
from tenantry.core.resources.scoped import of_tenant, same_tenant
from tenantry.core.webhooks import enqueue_delivery
from tenantry.percolate.api.context import V5Context, forbidden
from tenantry.percolate.api.ids import invalid, parse_scope
from tenantry.percolate.api.params import echo_query, parse_params
from tenantry.percolate.post.models import Post
from tenantry.percolate.webhook.declaration import STATUS_CHANGED, subscription_ref
from tenantry.percolate.webhook.models import PostWebhook, Webhook
from tenantry.percolate.webhook.post_webhook.bodies import PostWebhookCreate
from tenantry.percolate.webhook.post_webhook.declaration import (
    LIST_PARAMS,
    POST,
    WEBHOOK,
    parse_id,
    wire_of,
)
from tenantry.percolate.webhook.service import load_webhook


async def _post(ctx: V5Context, key: int, wire_key: str, capability: str) -> Post:
    wire = f"post:{key}"
    post = await ctx.session.get(Post, (ctx.tenant_id, key))
    if post is None or not await ctx.can("post:read", post.scope_id):
        raise forbidden(wire_key, wire, "post")
    await ctx.require(capability, post.scope_id, wire_key, wire)
    return post


async def list_post_webhooks(ctx: V5Context, query: dict[str, list[str]]) -> dict[str, Any]:
    values = parse_params(LIST_PARAMS, query)
    reach = await ctx.reach("post:read")
    stmt = (
        select(PostWebhook)
        .join(
            Post,
            (same_tenant(Post, PostWebhook)) & (Post.id == PostWebhook.post_id),
        )
        .where(of_tenant(PostWebhook, ctx.tenant_id), reach.condition(Post.scope_id))
    )
    if "ids" in values:
        pairs = [parse_id(value, "ids") for value in values["ids"]]
        stmt = stmt.where(
            or_(
                *(
                    and_(PostWebhook.post_id == post, PostWebhook.webhook_id == hook)
                    for post, hook in pairs
                )
            )
        )
    if "post_id" in values:
        posts = [POST.parse(value, "post_id") for value in values["post_id"]]
        stmt = stmt.where(PostWebhook.post_id.in_(posts))
    total = await ctx.session.scalar(
        stmt.with_only_columns(func.count(), maintain_column_froms=True)
    )
    rows = (
        await ctx.session.scalars(
            stmt.order_by(PostWebhook.post_id, PostWebhook.webhook_id)
            .limit(values["limit"])
            .offset(values["offset"])
        )
    ).all()
    await ctx.load_scope_kinds(row.scope_id for row in rows)
    return {
        "meta": {"total": int(total or 0), "query": echo_query(LIST_PARAMS, query, values)},
        "data": [wire_of(row, ctx) for row in rows],
    }


async def create_post_webhook(ctx: V5Context, body: PostWebhookCreate) -> PostWebhook:
    post = await _post(ctx, POST.parse(body.post_id, "post_id"), "post_id", "post:update")
    hook = await load_webhook(ctx, WEBHOOK.parse(body.webhook_id, "webhook_id"), "webhook_id",
                              "webhook:read")  # fmt: skip
    if body.scope_id is not None:
        scope = await ctx.scope_of(parse_scope(body.scope_id, "scope_id"), "scope_id")
        if scope != post.scope_id:
            raise invalid("scope_id", "The association lives in the post's scope.", body.scope_id)
    taken = await ctx.session.scalar(
        select(
            exists().where(
                of_tenant(PostWebhook, ctx.tenant_id),
                PostWebhook.post_id == post.id,
                PostWebhook.webhook_id == hook.id,
            )
        )
    )
    if taken:
        raise Conflict(
            "The post is already associated with this webhook.",
            [FieldError("webhook_id", "already associated", body.webhook_id)],
        )
    row = PostWebhook(
        tenant_id=ctx.tenant_id, post_id=post.id, webhook_id=hook.id, scope_id=post.scope_id
    )
    ctx.session.add(row)
    await ctx.session.flush()
    return row


async def delete_post_webhook(ctx: V5Context, wire: str) -> None:
    post_key, hook_key = parse_id(wire, "postwebhook_id")
    row = await ctx.session.get(PostWebhook, (ctx.tenant_id, post_key, hook_key))
    if row is None:
        raise forbidden("postwebhook_id", wire, "postwebhook")
    await _post(ctx, post_key, "postwebhook_id", "post:update")
    await ctx.session.execute(
        delete(PostWebhook)
        .where(
            of_tenant(PostWebhook, ctx.tenant_id),
            PostWebhook.post_id == post_key,
            PostWebhook.webhook_id == hook_key,
        )
        .execution_options(synchronize_session=False)
    )
    ctx.session.expunge(row)


async def announce_status_change(
    ctx: V5Context, post_key: int, previous: str | None, shown: dict[str, Any]
) -> int:
    """Enqueue one signed delivery of the post to each associated webhook that wants status
    changes, in the caller's transaction; how many were enqueued."""
    hooks = (
        await ctx.session.scalars(
            select(Webhook)
            .join(
                PostWebhook,
                (same_tenant(PostWebhook, Webhook)) & (PostWebhook.webhook_id == Webhook.id),
            )
            .where(of_tenant(PostWebhook, ctx.tenant_id), PostWebhook.post_id == post_key)
            .order_by(Webhook.id)
        )
    ).all()
    sent = 0
    for hook in hooks:
        if STATUS_CHANGED not in (hook.events or []):
            continue
        await enqueue_delivery(
            ctx.session,
            tenant_id=ctx.tenant_id,
            endpoint_url=hook.url,
            secret=hook.secret,
            event=STATUS_CHANGED,
            payload={"event": STATUS_CHANGED, "previous_status": previous, "data": shown},
            subscription_ref=subscription_ref(post_key, hook.id),
        )
        sent += 1
    return sent
