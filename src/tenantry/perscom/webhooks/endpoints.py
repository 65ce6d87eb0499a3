"""``/v1/webhooks``: Tenantry's addition for managing webhooks over the API (``manage:webhook``).

Thin: open the call (authentication, tenant transaction), check the scope, parse, call the
service, answer in PERSCOM's envelope (``{"data": …}``; lists paginated like Orion's).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from tenantry.core.auth import require
from tenantry.core.errors import request_id_of
from tenantry.perscom.engine.actions import list_path, path_id
from tenantry.perscom.engine.context import FORBIDDEN, CallOpener
from tenantry.perscom.engine.problems import refuse
from tenantry.perscom.engine.query import Page, page_request
from tenantry.perscom.engine.serialize import paginated, respond
from tenantry.perscom.engine.writes import read_payload, require_object
from tenantry.perscom.errors import TRACE_STATE_KEY
from tenantry.perscom.webhooks import service

__all__ = ["SCOPE", "webhook_routes"]

SCOPE = "manage:webhook"
"""PERSCOM v1's permission for webhooks (§2.2), granted to keys as a scope here."""


def webhook_routes(open_call: CallOpener, *, allow_private: bool) -> list[BaseRoute]:
    async def index(request: Request) -> Response:
        page = page_request(request)
        async with open_call(request) as call:
            require(call.principal, SCOPE, FORBIDDEN)
            hooks = [service.describe(h) for h in await service.list_webhooks(call.session)]
        shown = hooks[page.offset : page.offset + page.size]
        return respond(paginated(shown, Page(shown, len(hooks), page), list_path(request)))

    async def store(request: Request) -> Response:
        async with open_call(request) as call:
            require(call.principal, SCOPE, FORBIDDEN)
            body = require_object(await read_payload(request))
            hook = await service.create_webhook(call.session, body, allow_private=allow_private)
            shown = service.describe(hook)
        return respond({"data": shown}, 201)

    async def show(request: Request) -> Response:
        webhook_id = path_id(request, "id")
        async with open_call(request) as call:
            require(call.principal, SCOPE, FORBIDDEN)
            shown = service.describe(await service.get_webhook(call.session, webhook_id))
        return respond({"data": shown})

    async def update(request: Request) -> Response:
        webhook_id = path_id(request, "id")
        async with open_call(request) as call:
            require(call.principal, SCOPE, FORBIDDEN)
            body = require_object(await read_payload(request))
            hook = await service.update_webhook(
                call.session, webhook_id, body, allow_private=allow_private
            )
            shown = service.describe(hook)
        return respond({"data": shown})

    async def destroy(request: Request) -> Response:
        webhook_id = path_id(request, "id")
        async with open_call(request) as call:
            require(call.principal, SCOPE, FORBIDDEN)
            shown = service.describe(await service.delete_webhook(call.session, webhook_id))
        return respond({"data": shown})

    async def test(request: Request) -> Response:
        webhook_id = path_id(request, "id")
        async with open_call(request) as call:
            require(call.principal, SCOPE, FORBIDDEN)
            delivery = await service.send_test(
                call.session,
                webhook_id,
                request_id=request_id_of(request),
                trace_id=request.scope.get("state", {}).get(TRACE_STATE_KEY),
            )
        return respond({"data": {"delivery_id": delivery}}, 202)

    async def deliveries(request: Request) -> Response:
        webhook_id = path_id(request, "id")
        page = page_request(request)
        before = _before(request)
        async with open_call(request) as call:
            require(call.principal, SCOPE, FORBIDDEN)
            rows = await service.deliveries(
                call.session, webhook_id, limit=page.size, before_id=before
            )
            shown: list[dict[str, Any]] = [service.describe_delivery(row) for row in rows]
        return respond({"data": shown})

    async def replay(request: Request) -> Response:
        webhook_id = path_id(request, "id")
        attempt_id = path_id(request, "delivery")
        async with open_call(request) as call:
            require(call.principal, SCOPE, FORBIDDEN)
            delivery = await service.replay_delivery(call.session, webhook_id, attempt_id)
        return respond({"data": {"delivery_id": delivery}}, 202)

    one = "/webhooks/{id:int}"
    return [
        Route("/webhooks", index, methods=["GET"], include_in_schema=False),
        Route("/webhooks", store, methods=["POST"], include_in_schema=False),
        Route(one, show, methods=["GET"], include_in_schema=False),
        Route(one, update, methods=["PUT", "PATCH"], include_in_schema=False),
        Route(one, destroy, methods=["DELETE"], include_in_schema=False),
        Route(f"{one}/test", test, methods=["POST"], include_in_schema=False),
        Route(f"{one}/deliveries", deliveries, methods=["GET"], include_in_schema=False),
        Route(
            f"{one}/deliveries/{{delivery:int}}/replay",
            replay,
            methods=["POST"],
            include_in_schema=False,
        ),
    ]


def _before(request: Request) -> int | None:
    raw = request.query_params.get("before")
    if raw is None or raw == "":
        return None
    if not raw.strip().isdigit() or len(raw.strip()) > 18:
        refuse("before", "The before field must be an id.")
    return int(raw)
