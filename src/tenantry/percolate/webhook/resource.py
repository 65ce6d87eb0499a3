"""``/api/v5/webhook/`` (a Tenantry addition): the receivers post webhooks deliver to.

The seed associates posts with webhooks (``postwebhook``) but has no endpoint registering
them. A webhook has a ``url`` (checked against SSRF when registered, and again by the core
before every delivery), a ``secret`` the deliveries are signed with (write-only) and the
``events`` it wants. Its delivery log can be read back and any attempt replayed.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import delete, select
from starlette.requests import Request
from starlette.responses import Response

from tenantry.core.resources.scoped import of_tenant
from tenantry.core.webhooks import WebhookDelivery, check_destination, replay
from tenantry.percolate.api.auth import CallerDep
from tenantry.percolate.api.common import (
    owned_by_scopes,
    visible_in_reach,
)
from tenantry.percolate.api.context import V5Context, forbidden, open_context
from tenantry.percolate.api.fields import (
    column,
    column_list,
    columns_of,
    compile_presenter,
    row_of,
    scope,
    timestamp,
    typed_id,
)
from tenantry.percolate.api.ids import SCOPE_PATTERN, IdKind, parse_scope
from tenantry.percolate.api.params import ids_param, int_param, parse_params
from tenantry.percolate.api.resource import Resource
from tenantry.percolate.api.routes import (
    SECURITY,
    Create,
    Delete,
    Update,
    json_response,
    query_of,
    resource_router,
)
from tenantry.percolate.api.runtime import RuntimeDep
from tenantry.percolate.api.schemas import error_responses
from tenantry.percolate.webhook.models import PostWebhook, Webhook

__all__ = ["EVENTS", "KIND", "RESOURCE", "STATUS_CHANGED", "router", "subscription_ref"]

KIND = IdKind("webhook")
POST = IdKind("post")
DELIVERY = IdKind("webhook_delivery")
STATUS_CHANGED = "post.status_changed"
EVENTS = (STATUS_CHANGED,)
Event = Literal["post.status_changed"]


def subscription_ref(post_key: int, webhook_key: int) -> str:
    """How the delivery log names a post webhook's deliveries."""
    return f"postwebhook:{post_key}_{webhook_key}"


RESOURCE = Resource(
    kind=KIND,
    model=Webhook,
    title="Webhook",
    fields=(
        typed_id("webhook", Webhook.id),
        scope(Webhook.scope_id),
        column(Webhook.url, {"type": "string", "format": "uri"}),
        column_list(
            Webhook.events, {"type": "array", "items": {"type": "string", "enum": list(EVENTS)}}
        ),
        timestamp(Webhook.created_at),
        timestamp(Webhook.updated_at),
    ),
    visible=visible_in_reach("webhook:read", Webhook.scope_id),
    filters=(owned_by_scopes(Webhook.scope_id),),
)


def _all_events() -> list[Event]:
    return ["post.status_changed"]


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    url: str = Field(min_length=1, max_length=2048)
    scope_id: str | None = Field(default=None, pattern=SCOPE_PATTERN)
    secret: str = Field(min_length=16, max_length=200)
    events: list[Event] = Field(default_factory=_all_events, max_length=10)


class WebhookUpdate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    url: str | None = Field(default=None, min_length=1, max_length=2048)
    secret: str | None = Field(default=None, min_length=16, max_length=200)
    events: list[Event] | None = Field(default=None, max_length=10)


async def _checked_url(ctx: V5Context, url: str) -> str:
    await check_destination(url, ctx.platform.settings.allow_private_webhooks)
    return url


async def _create(ctx: V5Context, body: WebhookCreate) -> int:
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


async def _update(ctx: V5Context, key: int, body: WebhookUpdate) -> None:
    webhook = await load_webhook(ctx, key, "webhook_id", "webhook:manage")
    if body.url is not None:
        webhook.url = await _checked_url(ctx, body.url)
    if body.secret is not None:
        webhook.secret = body.secret
    if body.events is not None:
        webhook.events = list(dict.fromkeys(body.events))
    await ctx.session.flush()


async def _delete(ctx: V5Context, key: int) -> None:
    webhook = await load_webhook(ctx, key, "webhook_id", "webhook:manage")
    await ctx.session.execute(
        delete(PostWebhook)
        .where(of_tenant(PostWebhook, ctx.tenant_id), PostWebhook.webhook_id == key)
        .execution_options(synchronize_session=False)
    )
    await ctx.session.delete(webhook)
    await ctx.session.flush()


DELIVERY_FIELDS = (
    typed_id("webhook_delivery", WebhookDelivery.id),
    column(WebhookDelivery.job_id, name="delivery_id"),
    column(WebhookDelivery.subscription_ref, name="subscription"),
    column(WebhookDelivery.event),
    column(WebhookDelivery.url),
    column(WebhookDelivery.attempt),
    column(WebhookDelivery.outcome),
    column(WebhookDelivery.response_status),
    column(WebhookDelivery.error),
    column(WebhookDelivery.duration_ms),
    typed_id("webhook_delivery", WebhookDelivery.replay_of),
    timestamp(WebhookDelivery.created_at),
)
"""An attempt in a webhook's delivery log."""
_DELIVERY_COLUMNS = columns_of(DELIVERY_FIELDS)
_present_delivery = compile_presenter(DELIVERY_FIELDS, "present_delivery")


def _of_webhook(key: int) -> Any:
    """Deliveries of every post associated with webhook ``key``."""
    return WebhookDelivery.subscription_ref.like(f"postwebhook:%\\_{key}", escape="\\")


DELIVERY_PARAMS = (
    int_param("limit", "At most this many attempts, newest first.", default=50, minimum=1,
              maximum=200, clamp=True),
    int_param("offset", "Skip this many attempts.", default=0, minimum=0, maximum=100_000),
    ids_param("post_ids", POST, "Only deliveries of these posts."),
)  # fmt: skip


def _delivery_routes(router: APIRouter) -> None:
    """``GET /webhook/{id}/deliveries`` (the log) and ``POST …/{delivery}/replay``."""

    async def list_endpoint(request: Request, runtime: RuntimeDep, caller: CallerDep) -> Response:
        key = KIND.parse(request.path_params["webhook_id"], "webhook_id")
        values = parse_params(DELIVERY_PARAMS, query_of(request))
        async with open_context(runtime, caller) as ctx:
            await load_webhook(ctx, key, "webhook_id", "webhook:read")
            stmt = select(WebhookDelivery).where(
                of_tenant(WebhookDelivery, ctx.tenant_id), _of_webhook(key)
            )
            if "post_ids" in values:
                refs = [subscription_ref(post, key) for post in values["post_ids"]]
                stmt = stmt.where(WebhookDelivery.subscription_ref.in_(refs))
            stmt = stmt.order_by(WebhookDelivery.id.desc())
            rows = (
                await ctx.session.scalars(stmt.limit(values["limit"]).offset(values["offset"]))
            ).all()
            data = [_present_delivery(row_of(row, _DELIVERY_COLUMNS), ctx) for row in rows]
        return json_response({"data": data})

    async def replay_endpoint(request: Request, runtime: RuntimeDep, caller: CallerDep) -> Response:
        key = KIND.parse(request.path_params["webhook_id"], "webhook_id")
        wire = request.path_params["delivery_id"]
        attempt_key = DELIVERY.parse(wire, "delivery_id")
        async with open_context(runtime, caller) as ctx:
            webhook = await load_webhook(ctx, key, "webhook_id", "webhook:manage")
            found = await ctx.session.scalar(
                select(WebhookDelivery.id).where(
                    of_tenant(WebhookDelivery, ctx.tenant_id),
                    WebhookDelivery.id == attempt_key,
                    _of_webhook(key),
                )
            )
            if found is None:
                raise forbidden("delivery_id", wire, "delivery")
            job = await replay(
                ctx.session, attempt_key, secret=webhook.secret, endpoint_url=webhook.url
            )
        return json_response({"data": {"delivery_id": job.id, "replay_of": wire}}, 202)

    webhook_param = {
        "name": "webhook_id",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "pattern": KIND.path_pattern},
    }
    router.add_api_route(
        "/webhook/{webhook_id}/deliveries",
        list_endpoint,
        methods=["GET"],
        operation_id="listWebhookDeliveries",
        summary="The delivery log of a webhook, newest attempt first (Tenantry addition)",
        responses=error_responses(),
        openapi_extra={
            "parameters": [webhook_param, *(p.openapi() for p in DELIVERY_PARAMS)],
            "security": SECURITY,
        },
    )
    router.add_api_route(
        "/webhook/{webhook_id}/deliveries/{delivery_id}/replay",
        replay_endpoint,
        methods=["POST"],
        status_code=202,
        operation_id="replayWebhookDelivery",
        summary="Send a logged request again as a new delivery (Tenantry addition)",
        responses=error_responses(),
        openapi_extra={
            "parameters": [
                webhook_param,
                {
                    "name": "delivery_id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "pattern": DELIVERY.path_pattern},
                },
            ],
            "security": SECURITY,
        },
    )


router = resource_router(
    RESOURCE,
    create=Create(
        WebhookCreate, _create, "Register a receiver (`webhook:manage`); the URL is SSRF-checked."
    ),
    update=Update(WebhookUpdate, _update, "Change a webhook's url, secret or events."),
    delete=Delete(_delete, "Delete a webhook and its post associations."),
    list_description="Webhooks (a Tenantry addition); secrets are never shown.",
    extra_item_routes=_delivery_routes,
)
