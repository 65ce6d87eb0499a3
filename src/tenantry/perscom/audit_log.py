"""``GET /v1/audit-log``: Tenantry's addition for reading the organisation's audit log over the
API (the ``manage:api`` scope: administrators only). Paged like every PERSCOM list."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from tenantry.core.audit import query
from tenantry.core.auth import require
from tenantry.perscom.engine.actions import list_path
from tenantry.perscom.engine.context import FORBIDDEN, CallOpener
from tenantry.perscom.engine.query import Page, page_request
from tenantry.perscom.engine.serialize import paginated, respond

__all__ = ["SCOPE", "audit_routes"]

SCOPE = "manage:api"
"""The audit log shows every change in the organisation: only an administrator's key reads it."""


def audit_routes(open_call: CallOpener) -> list[BaseRoute]:
    async def index(request: Request) -> Response:
        page = page_request(request)
        params = request.query_params
        filters = query.parse_filters(
            params.get("since"), params.get("actor"), params.get("resource")
        )
        async with open_call(request) as call:
            require(call.principal, SCOPE, FORBIDDEN)
            total = await query.count(call.session, call.tenant_id, filters)
            rows = await query.page(
                call.session, call.tenant_id, filters, offset=page.offset, limit=page.size
            )
            shown = [query.entry_dict(row) for row in rows]
        return respond(paginated(shown, Page(shown, total, page), list_path(request)))

    return [Route("/audit-log", index, methods=["GET"], include_in_schema=False)]
