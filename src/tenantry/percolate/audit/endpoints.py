"""``GET /api/v5/audit_log/`` (a Tenantry addition): the account's audit log, newest first,
for system administrators; ``limit``/``offset`` and ``meta.total`` as every v5 list."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from tenantry.core.audit import query
from tenantry.percolate.api.auth import CallerDep
from tenantry.percolate.api.context import forbidden, open_context
from tenantry.percolate.api.params import int_param, parse_params, text_param
from tenantry.percolate.api.routes import API_PREFIX, SECURITY, json_response, query_of
from tenantry.percolate.api.runtime import RuntimeDep
from tenantry.percolate.api.schemas import error_responses
from tenantry.percolate.permissions import SYSTEM_ADMIN

__all__ = ["router"]

PARAMS = (
    int_param("limit", "At most this many entries, newest first.", default=50, minimum=1,
              maximum=1000, clamp=True),
    int_param("offset", "Skip this many entries.", default=0, minimum=0, maximum=2**31 - 1),
    text_param("since", "Only entries at or after this ISO 8601 date or time."),
    text_param("actor", "Only entries of this user id or credential (`api_key:12`, `cli`)."),
    text_param("resource", "Only entries about this resource type, or `type:id`."),
)  # fmt: skip

router = APIRouter(prefix=API_PREFIX, tags=["audit_log"])


async def list_endpoint(request: Request, runtime: RuntimeDep, caller: CallerDep) -> Response:
    values = parse_params(PARAMS, query_of(request))
    filters = query.parse_filters(values.get("since"), values.get("actor"), values.get("resource"))
    async with open_context(runtime, caller) as ctx:
        if not ctx.principal.can(SYSTEM_ADMIN):
            raise forbidden(None)
        total = await query.count(ctx.session, ctx.tenant_id, filters)
        rows = await query.page(
            ctx.session, ctx.tenant_id, filters, offset=values["offset"], limit=values["limit"]
        )
        data = [query.entry_dict(row) for row in rows]
    echoed = {key: value for key, value in values.items() if value is not None}
    return json_response({"meta": {"total": total, "query": echoed}, "data": data})


router.add_api_route(
    "/audit_log/",
    list_endpoint,
    methods=["GET"],
    operation_id="listAuditLog",
    summary="The account's audit log: who changed what, newest first (Tenantry addition)",
    description=(
        "Every change by any credential, one entry per transaction, chained by hash. "
        "Needs the system administrator permission."
    ),
    responses=error_responses(),
    openapi_extra={
        "parameters": [param.openapi() for param in PARAMS],
        "security": SECURITY,
        "x-tenantry-extension": True,
    },
)
