"""``/api/v5/postwebhook/`` (reference §3.10): posts associated with webhooks.

An association's id is composite, ``postwebhook:<post>_<webhook>``. Each status change of an
associated post is delivered, signed, to each of its webhooks through the core delivery
system, in the transaction of the change (:func:`announce_status_change`).
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import and_, delete, exists, func, or_, select
from starlette.requests import Request
from starlette.responses import Response

from tenantry.core.errors import Conflict, FieldError
from tenantry.core.resources.scoped import of_tenant, same_tenant
from tenantry.core.webhooks import enqueue_delivery
from tenantry.percolate.api.auth import CallerDep
from tenantry.percolate.api.context import V5Context, forbidden, open_context
from tenantry.percolate.api.fields import (
    columns_of,
    compile_presenter,
    formatted,
    row_of,
    scope,
    timestamp,
    typed_id,
)
from tenantry.percolate.api.ids import SCOPE_PATTERN, IdKind, invalid, parse_scope
from tenantry.percolate.api.params import (
    MAX_LIMIT,
    Param,
    csv_param,
    echo_query,
    int_param,
    parse_params,
)
from tenantry.percolate.api.routes import (
    API_PREFIX,
    SECURITY,
    json_response,
    query_of,
    read_body,
)
from tenantry.percolate.api.runtime import RuntimeDep
from tenantry.percolate.api.schemas import body_schema, error_responses
from tenantry.percolate.ids import MAX_KEY_DIGITS
from tenantry.percolate.post.models import Post
from tenantry.percolate.webhook.models import PostWebhook, Webhook
from tenantry.percolate.webhook.resource import STATUS_CHANGED, load_webhook, subscription_ref

__all__ = ["announce_status_change", "router"]

POST = IdKind("post")
WEBHOOK = IdKind("webhook")
ID_PATTERN = r"^postwebhook:\d+_\d+$"
_ID = re.compile(rf"^postwebhook:(\d{{1,{MAX_KEY_DIGITS}}})_(\d{{1,{MAX_KEY_DIGITS}}})$")


def parse_id(value: object, key: str) -> tuple[int, int]:
    """``postwebhook:<post>_<webhook>`` as (post key, webhook key); 400 naming ``key``."""
    match = _ID.match(value) if isinstance(value, str) else None
    if match is None:
        raise invalid(key, "Expected an id such as postwebhook:12_7.", value)
    return int(match.group(1)), int(match.group(2))


FIELDS = (
    formatted(
        "id",
        "postwebhook:{}_{}",
        PostWebhook.post_id,
        PostWebhook.webhook_id,
        schema={"type": "string", "pattern": ID_PATTERN},
    ),
    typed_id("post", PostWebhook.post_id),
    typed_id("webhook", PostWebhook.webhook_id),
    scope(PostWebhook.scope_id),
    timestamp(PostWebhook.created_at),
)
"""A post's association with a webhook on the wire."""
_COLUMNS = columns_of(FIELDS)
_present_row = compile_presenter(FIELDS, "present_post_webhook")


def _wire_of(association: PostWebhook, ctx: V5Context) -> dict[str, Any]:
    return _present_row(row_of(association, _COLUMNS), ctx)


async def _post(ctx: V5Context, key: int, wire_key: str, capability: str) -> Post:
    wire = f"post:{key}"
    post = await ctx.session.get(Post, (ctx.tenant_id, key))
    if post is None or not await ctx.can("post:read", post.scope_id):
        raise forbidden(wire_key, wire, "post")
    await ctx.require(capability, post.scope_id, wire_key, wire)
    return post


LIST_PARAMS: tuple[Param, ...] = (
    int_param("limit", "Page size.", default=50, minimum=1, maximum=MAX_LIMIT, clamp=True),
    int_param("offset", "Page offset.", default=0, minimum=0, maximum=2**31 - 1),
    csv_param("ids", "A CSV of unique IDs to filter by.", pattern=ID_PATTERN),
    csv_param("post_id", "The post whose webhooks to list.", pattern=r"^post:\d+$"),
)


class PostWebhookCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    post_id: str = Field(pattern=r"^post:\d{1,18}$")
    webhook_id: str = Field(pattern=r"^webhook:\d{1,18}$")
    scope_id: str | None = Field(default=None, pattern=SCOPE_PATTERN)


async def _list(ctx: V5Context, query: dict[str, list[str]]) -> dict[str, Any]:
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
        "data": [_wire_of(row, ctx) for row in rows],
    }


async def _create(ctx: V5Context, body: PostWebhookCreate) -> PostWebhook:
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


async def _delete(ctx: V5Context, wire: str) -> None:
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


router = APIRouter(prefix=API_PREFIX, tags=["postwebhook"])


async def list_endpoint(request: Request, runtime: RuntimeDep, caller: CallerDep) -> Response:
    async with open_context(runtime, caller) as ctx:
        body = await _list(ctx, query_of(request))
    return json_response(body)


async def create_endpoint(request: Request, runtime: RuntimeDep, caller: CallerDep) -> Response:
    body = await read_body(request, PostWebhookCreate)
    async with open_context(runtime, caller) as ctx:
        row = await _create(ctx, body)
        shown = _wire_of(row, ctx)
    return json_response({"data": shown}, 201)


async def delete_endpoint(request: Request, runtime: RuntimeDep, caller: CallerDep) -> Response:
    async with open_context(runtime, caller) as ctx:
        await _delete(ctx, request.path_params["postwebhook_id"])
    return Response(status_code=204)


for _path, _shown in (("/postwebhook/", True), ("/postwebhook", False)):
    router.add_api_route(
        _path,
        list_endpoint,
        methods=["GET"],
        operation_id="listPostWebhooks" if _shown else None,
        include_in_schema=_shown,
        summary="Get post webhooks",
        responses=error_responses(),
        openapi_extra={"parameters": [p.openapi() for p in LIST_PARAMS], "security": SECURITY},
    )
    router.add_api_route(
        _path,
        create_endpoint,
        methods=["POST"],
        status_code=201,
        operation_id="createPostWebhook" if _shown else None,
        include_in_schema=_shown,
        summary="Create a post webhook association",
        responses=error_responses(conflict=True),
        openapi_extra={"requestBody": body_schema(PostWebhookCreate), "security": SECURITY},
    )
for _path, _shown in (
    ("/postwebhook/{postwebhook_id}", True),
    ("/postwebhook/{postwebhook_id}/", False),
):
    router.add_api_route(
        _path,
        delete_endpoint,
        methods=["DELETE"],
        status_code=204,
        operation_id="deletePostWebhook" if _shown else None,
        include_in_schema=_shown,
        summary="Delete a post webhook association",
        responses={204: {"description": "Deleted."}, **error_responses()},
        openapi_extra={
            "parameters": [
                {
                    "name": "postwebhook_id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "pattern": ID_PATTERN},
                }
            ],
            "security": SECURITY,
        },
    )
