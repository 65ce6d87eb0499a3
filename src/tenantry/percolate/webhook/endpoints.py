"""``/api/v5/webhook/`` (a Tenantry addition): the receivers post webhooks deliver to."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from tenantry.percolate.api.auth import CallerDep
from tenantry.percolate.api.context import open_context
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
)
from tenantry.percolate.webhook.service import (
    create_webhook,
    delete_webhook,
    deliveries,
    replay_delivery,
    update_webhook,
)


def _delivery_routes(router: APIRouter) -> None:
    """``GET /webhook/{id}/deliveries`` (the log) and ``POST …/{delivery}/replay``."""

    async def list_endpoint(request: Request, runtime: RuntimeDep, caller: CallerDep) -> Response:
        key = KIND.parse(request.path_params["webhook_id"], "webhook_id")
        values = parse_params(DELIVERY_PARAMS, query_of(request))
        async with open_context(runtime, caller) as ctx:
            rows = await deliveries(
                ctx,
                key,
                limit=values["limit"],
                offset=values["offset"],
                post_keys=values.get("post_ids"),
            )
            data = [present_delivery(row_of(row, DELIVERY_COLUMNS), ctx) for row in rows]
        return json_response({"data": data})

    async def replay_endpoint(request: Request, runtime: RuntimeDep, caller: CallerDep) -> Response:
        key = KIND.parse(request.path_params["webhook_id"], "webhook_id")
        wire = request.path_params["delivery_id"]
        attempt_key = DELIVERY.parse(wire, "delivery_id")
        async with open_context(runtime, caller) as ctx:
            job = await replay_delivery(ctx, key, attempt_key, wire)
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
