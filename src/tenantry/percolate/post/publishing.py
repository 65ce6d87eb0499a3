"""Publishing posts: a small :class:`Publisher` interface and the one publisher Tenantry ships.

A queued post is published by the ``percolate.post.publish`` job, scheduled at the post's
``publish_at`` in the transaction that queued it. The job re-checks the post (still queued,
``live_at`` past or null), moves it to ``queued.publishing`` and asks the publisher of the
channel's platform to send it. :class:`SignedHttpPublisher`, for channels of ``custom``
platforms, delivers the post through the core webhook system to the channel's publish URL
(HMAC-SHA256 signature, timestamp header, retries with backoff); the delivery's completion
hook then walks the post ``queued.published`` → ``live``, or ends it in ``queued.error`` with
the reason. A custom channel without a publish URL is left to its integration, which walks
its posts with PUTs (as Percolate's WordPress plugin does). Unpublishing is the same round
trip (``queued.unpublishing`` → ``unpublished``, back to ``live`` on failure).

Pausing and resuming go through the publisher too, as notices: ``queued`` → ``queued.paused``
sends ``action: "pause"`` (event ``percolate.post.pause``), ``queued.paused`` → ``queued``
sends ``action: "resume"`` (``percolate.post.resume``) alongside the new publish job. They
change nothing here whatever the answer: the pause itself is enforced by the publish job,
which publishes only a ``queued`` post, so a receiver that missed a notice still never gets
a paused post published.

Every delivery carries ``X-Tenantry-Delivery``, the same on each attempt: delivery is at least
once (a worker killed mid-request sends again), and a receiver dedupes on that header.

Real platform connectors implement :class:`Publisher` and register in :data:`PUBLISHERS`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Protocol

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from tenantry.core.errors import Conflict
from tenantry.core.jobs import JobContext, enqueue, job_handlers
from tenantry.core.resources.scoped import of_tenant
from tenantry.core.webhooks import DeliveryCompleted, check_destination, delivery_hooks
from tenantry.core.webhooks import enqueue_delivery as send_signed
from tenantry.percolate.api.auth import CallerDep
from tenantry.percolate.api.context import forbidden, open_context
from tenantry.percolate.api.ids import IdKind, invalid
from tenantry.percolate.api.routes import SECURITY, json_response, read_body
from tenantry.percolate.api.runtime import RuntimeDep
from tenantry.percolate.api.schemas import body_schema, error_responses
from tenantry.percolate.api.wire import timestamp
from tenantry.percolate.channel.models import Channel
from tenantry.percolate.platform.models import Platform
from tenantry.percolate.post.lifecycle import (
    PostStatus,
    PublisherEffect,
    SystemActor,
    TransitionPlan,
    is_due,
    plan_system_transition,
)
from tenantry.percolate.post.models import ChannelPublisher, Post

__all__ = [
    "PAUSE_EVENT",
    "PUBLISHERS",
    "PUBLISH_EVENT",
    "PUBLISH_JOB",
    "RESUME_EVENT",
    "UNPUBLISH_EVENT",
    "Publisher",
    "SignedHttpPublisher",
    "after_transition",
    "router",
]

PUBLISH_JOB = "percolate.post.publish"
PUBLISH_EVENT = "percolate.post.publish"
UNPUBLISH_EVENT = "percolate.post.unpublish"
PAUSE_EVENT = "percolate.post.pause"
RESUME_EVENT = "percolate.post.resume"
CHANNEL = IdKind("channel")
S = PostStatus


class Publisher(Protocol):
    """Sends a post to its channel's platform; reports the outcome later through
    :func:`complete_publication` / :func:`complete_unpublication`."""

    async def handles(self, session: AsyncSession, tenant_id: int, post: Post) -> bool:
        """False when the channel's own integration walks its posts (Percolate's WordPress
        plugin does): the post is then left as it is for that integration's PUTs."""
        ...

    async def publish(self, session: AsyncSession, tenant_id: int, post: Post) -> str | None:
        """Start publishing ``post``; a reason string when it cannot even start."""
        ...

    async def unpublish(self, session: AsyncSession, tenant_id: int, post: Post) -> str | None:
        """Start withdrawing ``post``; a reason string when it cannot even start."""
        ...

    async def pause(self, session: AsyncSession, tenant_id: int, post: Post) -> None:
        """Tell the platform that ``post`` must not go out until resumed (a notice)."""
        ...

    async def resume(self, session: AsyncSession, tenant_id: int, post: Post) -> None:
        """Tell the platform that ``post`` is scheduled again (a notice)."""
        ...


def publication_body(post: Post) -> dict[str, Any]:
    """What a publisher sends: the post's identity, content and schedule."""
    return {
        "id": f"post:{post.id}",
        "name": post.name,
        "description": post.description,
        "status": post.status,
        "live_at": timestamp(post.live_at),
        "live_at_timezone": post.live_at_timezone,
        "channel_id": f"channel:{post.channel_id}",
        "platform_id": f"platform:{post.platform_id}",
        "schema_id": f"schema:{post.schema_id}_{post.schema_version}",
        "ext": post.ext,
        "term_ids": [f"term:{key}" for key in post.term_ids or []],
    }


class SignedHttpPublisher:
    """POSTs the post, signed with the channel's secret, to the channel's publish URL. A
    custom channel without a publish URL is driven by its integration instead."""

    async def handles(self, session: AsyncSession, tenant_id: int, post: Post) -> bool:
        return await session.get(ChannelPublisher, (tenant_id, post.channel_id)) is not None

    async def _send(
        self, session: AsyncSession, tenant_id: int, post: Post, event: str, action: str
    ) -> str | None:
        target = await session.get(ChannelPublisher, (tenant_id, post.channel_id))
        if target is None:
            return "The channel has no publish URL."
        await send_signed(
            session,
            tenant_id=tenant_id,
            endpoint_url=target.url,
            secret=target.secret,
            event=event,
            payload={"action": action, "data": publication_body(post)},
            subscription_ref=f"channel:{post.channel_id}",
            context={"post_id": post.id},
        )
        return None

    async def publish(self, session: AsyncSession, tenant_id: int, post: Post) -> str | None:
        return await self._send(session, tenant_id, post, PUBLISH_EVENT, "publish")

    async def unpublish(self, session: AsyncSession, tenant_id: int, post: Post) -> str | None:
        return await self._send(session, tenant_id, post, UNPUBLISH_EVENT, "unpublish")

    async def pause(self, session: AsyncSession, tenant_id: int, post: Post) -> None:
        await self._send(session, tenant_id, post, PAUSE_EVENT, "pause")

    async def resume(self, session: AsyncSession, tenant_id: int, post: Post) -> None:
        await self._send(session, tenant_id, post, RESUME_EVENT, "resume")


PUBLISHERS: dict[str, Publisher] = {"custom": SignedHttpPublisher()}
"""Publisher by platform type; a platform without one fails publication with a reason."""


async def _publisher(session: AsyncSession, tenant_id: int, post: Post) -> Publisher | None:
    platform = await session.get(Platform, (tenant_id, post.platform_id))
    return PUBLISHERS.get(platform.type) if platform is not None else None


async def _move(
    session: AsyncSession,
    tenant_id: int,
    post_key: int,
    current: PostStatus,
    target: PostStatus,
    live_at: datetime | None,
    **extra: Any,
) -> bool:
    """The publisher's move, conditional on ``current``; False when the post moved since."""
    now = datetime.now(UTC)
    try:
        plan = plan_system_transition(
            current, target, actor=SystemActor.PUBLISHER, live_at=live_at, now=now
        )
    except Conflict:
        return False
    result = await session.execute(
        update(Post)
        .where(of_tenant(Post, tenant_id), Post.id == post_key, Post.status == str(current))
        .values(status=str(plan.status), live_at=plan.live_at, updated_at=now, **extra)
        .execution_options(synchronize_session=False)
    )
    return getattr(result, "rowcount", 0) == 1


async def _handling_publisher(
    session: AsyncSession, tenant_id: int, post: Post
) -> Publisher | None:
    """The post's publisher, unless its channel's integration walks the post itself."""
    publisher = await _publisher(session, tenant_id, post)
    if publisher is None or not await publisher.handles(session, tenant_id, post):
        return None
    return publisher


async def after_transition(
    session: AsyncSession, tenant_id: int, post_key: int, plan: TransitionPlan, *, moved: bool
) -> None:
    """Carry out a user's status change: schedule the publication of a queued post (also
    when only its ``live_at`` ``moved``), notice a pause or a resume, or start unpublishing."""
    if plan.status is S.QUEUED and plan.publish_at is not None and (plan.changed or moved):
        await enqueue(
            session,
            PUBLISH_JOB,
            {"post_id": post_key},
            tenant_id=tenant_id,
            run_at=plan.publish_at,
        )
    paused = plan.effect is PublisherEffect.PAUSE
    resumed = plan.previous is S.QUEUED_PAUSED and plan.status is S.QUEUED
    if paused or resumed:
        post = await session.get(Post, (tenant_id, post_key))
        assert post is not None
        await session.refresh(post)  # the caller's UPDATE bypassed the identity map
        notified = await _handling_publisher(session, tenant_id, post)
        if notified is not None:
            await (notified.pause if paused else notified.resume)(session, tenant_id, post)
    elif plan.effect is PublisherEffect.UNPUBLISH:
        post = await session.get(Post, (tenant_id, post_key))
        assert post is not None
        publisher = await _publisher(session, tenant_id, post)
        if publisher is not None and not await publisher.handles(session, tenant_id, post):
            return
        reason = (
            "No publisher for this platform."
            if publisher is None
            else await publisher.unpublish(session, tenant_id, post)
        )
        if reason is not None:
            await _move(
                session, tenant_id, post_key, S.QUEUED_UNPUBLISHING, S.LIVE, post.live_at,
                publish_error=reason,
            )  # fmt: skip


@job_handlers.register(PUBLISH_JOB)
async def publish_due(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Publish the post if it is still queued and due; otherwise there is nothing to do (a
    reschedule enqueued its own job, a pause or a revert withdrew it)."""
    assert ctx.tenant_id is not None
    post = await ctx.session.get(Post, (ctx.tenant_id, int(payload["post_id"])))
    if post is None or not is_due(PostStatus(post.status), post.live_at, datetime.now(UTC)):
        return
    publisher = await _publisher(ctx.session, ctx.tenant_id, post)
    if publisher is not None and not await publisher.handles(ctx.session, ctx.tenant_id, post):
        return
    if not await _move(
        ctx.session, ctx.tenant_id, post.id, S.QUEUED, S.QUEUED_PUBLISHING, post.live_at
    ):
        return
    await ctx.session.refresh(post)
    reason = (
        "No publisher for this platform."
        if publisher is None
        else await publisher.publish(ctx.session, ctx.tenant_id, post)
    )
    if reason is not None:
        await _move(
            ctx.session, ctx.tenant_id, post.id, S.QUEUED_PUBLISHING, S.QUEUED_ERROR,
            post.live_at, publish_error=reason,
        )  # fmt: skip


def _reason(completed: DeliveryCompleted) -> str:
    if completed.response_status is not None:
        return f"The publish URL answered HTTP {completed.response_status}."
    if completed.error:
        return f"The delivery to the publish URL failed: {completed.error}."
    return f"The delivery to the publish URL ended as {completed.outcome}."


@delivery_hooks.register(PUBLISH_EVENT)
async def complete_publication(completed: DeliveryCompleted) -> None:
    """2xx: ``queued.published`` then ``live``; a final failure: ``queued.error``."""
    session, tenant_id = completed.session, completed.tenant_id
    post = await session.get(Post, (tenant_id, int(completed.context["post_id"])))
    if post is None or post.status != S.QUEUED_PUBLISHING:
        return
    if completed.succeeded:
        if await _move(
            session, tenant_id, post.id, S.QUEUED_PUBLISHING, S.QUEUED_PUBLISHED, post.live_at,
            publish_error=None,
        ):  # fmt: skip
            await _move(session, tenant_id, post.id, S.QUEUED_PUBLISHED, S.LIVE, post.live_at)
    else:
        await _move(
            session, tenant_id, post.id, S.QUEUED_PUBLISHING, S.QUEUED_ERROR, post.live_at,
            publish_error=_reason(completed),
        )  # fmt: skip


@delivery_hooks.register(UNPUBLISH_EVENT)
async def complete_unpublication(completed: DeliveryCompleted) -> None:
    """2xx: ``unpublished``; a final failure: back to ``live`` with the reason."""
    session, tenant_id = completed.session, completed.tenant_id
    post = await session.get(Post, (tenant_id, int(completed.context["post_id"])))
    if post is None or post.status != S.QUEUED_UNPUBLISHING:
        return
    target = S.UNPUBLISHED if completed.succeeded else S.LIVE
    reason = None if completed.succeeded else _reason(completed)
    await _move(
        session, tenant_id, post.id, S.QUEUED_UNPUBLISHING, target, post.live_at,
        publish_error=reason,
    )  # fmt: skip


# --- configuring a custom channel's publish URL ------------------------------------------


class PublisherBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    url: str = Field(min_length=1, max_length=2048)
    secret: str = Field(min_length=16, max_length=200)


router = APIRouter(prefix="/api/v5", tags=["channel"])


async def put_publisher(request: Request, runtime: RuntimeDep, caller: CallerDep) -> Response:
    """Set where a custom channel's posts are published (a Tenantry addition)."""
    wire = request.path_params["channel_id"]
    key = CHANNEL.parse(wire, "channel_id")
    body = await read_body(request, PublisherBody)
    async with open_context(runtime, caller) as ctx:
        channel = await ctx.session.get(Channel, (ctx.tenant_id, key))
        if channel is None or not await ctx.can("license_channel:read", channel.scope_id):
            raise forbidden("channel_id", wire, "channel")
        await ctx.require("license_channel:update", channel.scope_id, "channel_id", wire)
        kind = await ctx.session.get(Platform, (ctx.tenant_id, channel.platform_id))
        if kind is None or kind.type not in PUBLISHERS:
            raise invalid("channel_id", "Only channels of custom platforms publish by URL.", wire)
        await check_destination(body.url, ctx.platform.settings.allow_private_webhooks)
        target = await ctx.session.get(ChannelPublisher, (ctx.tenant_id, key))
        if target is None:
            target = ChannelPublisher(tenant_id=ctx.tenant_id, channel_id=key)
            ctx.session.add(target)
        target.url, target.secret = body.url, body.secret
        await ctx.session.flush()
        shown = {"channel_id": wire, "url": target.url}
    return json_response({"data": shown})


router.add_api_route(
    "/channel/{channel_id}/publisher",
    put_publisher,
    methods=["PUT"],
    operation_id="setChannelPublisher",
    summary="Set a custom channel's publish URL and signing secret (Tenantry addition)",
    responses=error_responses(),
    openapi_extra={
        "parameters": [
            {
                "name": "channel_id",
                "in": "path",
                "required": True,
                "schema": {"type": "string", "pattern": CHANNEL.path_pattern},
            }
        ],
        "requestBody": body_schema(PublisherBody),
        "security": SECURITY,
    },
)
