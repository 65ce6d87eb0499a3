"""``/api/v5/license/`` (read-only: licenses are made as scopes) and ``/api/v5/tenant/``."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select
from starlette.responses import Response

from tenantry.core.tenancy import Tenant
from tenantry.percolate.api.auth import CallerDep
from tenantry.percolate.api.context import open_context
from tenantry.percolate.api.routes import API_PREFIX, SECURITY, json_response, resource_router
from tenantry.percolate.api.runtime import RuntimeDep
from tenantry.percolate.api.schemas import error_responses
from tenantry.percolate.license.declaration import RESOURCE, TENANT_PATTERN, tenant_wire

router = resource_router(
    RESOURCE,
    list_description="Licenses of the account the caller may read (by `tenant_id` or `ids`).",
)

TENANT_SCHEMA = {
    "type": "object",
    "required": ["meta", "data"],
    "properties": {
        "meta": {
            "type": "object",
            "properties": {"total": {"type": "integer"}, "query": {"type": "object"}},
        },
        "data": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "name", "status"],
                "properties": {
                    "id": {"type": "string", "pattern": TENANT_PATTERN},
                    "name": {"type": "string"},
                    "status": {"type": "string", "enum": ["active", "inactive"]},
                },
            },
        },
    },
}


STATUS = {True: "active", False: "inactive"}


async def list_tenants(runtime: RuntimeDep, caller: CallerDep) -> Response:
    """The tenants the caller may act in: a token belongs to one account, so one."""
    async with open_context(runtime, caller, read_only=True) as ctx:
        rows = await ctx.db.rows(
            select(Tenant.name, Tenant.active).where(Tenant.id == ctx.tenant_id)
        )
    data = [
        {
            "id": tenant_wire(caller.tenant_id),
            "name": name,
            "status": "active" if on else "inactive",
        }
        for name, on in rows
    ]
    return json_response({"meta": {"total": len(data), "query": {}}, "data": data})


tenant_router = APIRouter(prefix=API_PREFIX, tags=["tenant"])
for _path, _shown in (("/tenant/", True), ("/tenant", False)):
    tenant_router.add_api_route(
        _path,
        list_tenants,
        methods=["GET"],
        operation_id="listTenants" if _shown else None,
        summary="Get the caller's tenant",
        include_in_schema=_shown,
        responses={
            200: {
                "description": "The caller's tenant.",
                "content": {"application/json": {"schema": TENANT_SCHEMA}},
            },
            **error_responses(),
        },
        openapi_extra={"security": SECURITY},
    )
