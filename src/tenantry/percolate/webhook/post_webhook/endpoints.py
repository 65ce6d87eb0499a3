"""``/api/v5/postwebhook/`` (reference §3.10): posts associated with webhooks."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from tenantry.percolate.api.auth import CallerDep
from tenantry.percolate.api.context import open_context
from tenantry.percolate.api.routes import API_PREFIX, SECURITY, json_response, query_of, read_body
from tenantry.percolate.api.runtime import RuntimeDep
from tenantry.percolate.api.schemas import body_schema, error_responses
from tenantry.percolate.webhook.post_webhook.bodies import PostWebhookCreate
from tenantry.percolate.webhook.post_webhook.declaration import ID_PATTERN, LIST_PARAMS, wire_of
from tenantry.percolate.webhook.post_webhook.service import (
    create_post_webhook,
    delete_post_webhook,
    list_post_webhooks,
)

router = APIRouter(prefix=API_PREFIX, tags=["postwebhook"])


async def list_endpoint(request: Request, runtime: RuntimeDep, caller: CallerDep) -> Response:
    async with open_context(runtime, caller) as ctx:
        body = await list_post_webhooks(ctx, query_of(request))
    return json_response(body)


async def create_endpoint(request: Request, runtime: RuntimeDep, caller: CallerDep) -> Response:
    body = await read_body(request, PostWebhookCreate)
    async with open_context(runtime, caller) as ctx:
        row = await create_post_webhook(ctx, body)
        shown = wire_of(row, ctx)
    return json_response({"data": shown}, 201)


async def delete_endpoint(request: Request, runtime: RuntimeDep, caller: CallerDep) -> Response:
    async with open_context(runtime, caller) as ctx:
        await delete_post_webhook(ctx, request.path_params["postwebhook_id"])
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
