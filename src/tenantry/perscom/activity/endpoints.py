"""``/v1/activity``: Tenantry's addition for reading the API log over the API (``view:log``)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from tenantry.core.auth import require
from tenantry.perscom.activity import service
from tenantry.perscom.activity.writer import ActivityWriter
from tenantry.perscom.engine.actions import list_path
from tenantry.perscom.engine.context import FORBIDDEN, CallOpener
from tenantry.perscom.engine.query import Page, page_request
from tenantry.perscom.engine.serialize import paginated, respond

__all__ = ["SCOPE", "activity_routes"]

SCOPE = "view:log"
"""PERSCOM v1's permission for the activity log (§2.2), granted to keys as a scope here."""


def activity_routes(open_call: CallOpener, writer: ActivityWriter) -> list[BaseRoute]:
    async def index(request: Request) -> Response:
        page = page_request(request)
        await writer.flush()  # what this process buffered is shown too
        async with open_call(request) as call:
            require(call.principal, SCOPE, FORBIDDEN)
            rows, total = await service.list_activity(
                call.session, offset=page.offset, limit=page.size
            )
            shown = [service.describe(row) for row in rows]
        return respond(paginated(shown, Page(shown, total, page), list_path(request)))

    return [Route("/activity", index, methods=["GET"], include_in_schema=False)]
