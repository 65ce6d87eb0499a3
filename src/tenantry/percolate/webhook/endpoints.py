"""``/api/v5/webhook/`` (a Tenantry addition): the receivers post webhooks deliver to."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response

from tenantry.core.resources.scoped import of_tenant
from tenantry.core.webhooks import WebhookDelivery, replay
from tenantry.percolate.api.auth import CallerDep
from tenantry.percolate.api.context import forbidden, open_context
from tenantry.percolate.api.fields import row_of
from tenantry.percolate.api.params import parse_params
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
from tenantry.percolate.webhook.bodies import WebhookCreate, WebhookUpdate
from tenantry.percolate.webhook.declaration import (
    DELIVERY,
    DELIVERY_COLUMNS,
    DELIVERY_PARAMS,
    KIND,
    RESOURCE,
    present_delivery,
    subscription_ref,
)
from tenantry.percolate.webhook.service import (
    create_webhook,
    delete_webhook,
    load_webhook,
    update_webhook,
)


def _of_webhook(key: int) -> Any:
    """Deliveries of every post associated with webhook ``key``."""
    return WebhookDelivery.subscription_ref.like(f"postwebhook:%\\_{key}", escape="\\")


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
            data = [present_delivery(row_of(row, DELIVERY_COLUMNS), ctx) for row in rows]
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
        WebhookCreate,
        create_webhook,
        "Register a receiver (`webhook:manage`); the URL is SSRF-checked.",
    ),
    update=Update(WebhookUpdate, update_webhook, "Change a webhook's url, secret or events."),
    delete=Delete(delete_webhook, "Delete a webhook and its post associations."),
    list_description="Webhooks (a Tenantry addition); secrets are never shown.",
    extra_item_routes=_delivery_routes,
)
