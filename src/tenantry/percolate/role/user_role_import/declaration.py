"""The user-role import resource (reference §3.19): its status and per-row results."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, false

from tenantry.percolate.api.context import V5Context
from tenantry.percolate.api.fields import column, timestamp, typed_id
from tenantry.percolate.api.ids import IdKind
from tenantry.percolate.api.resource import Resource
from tenantry.percolate.role.user_role_import.models import UserRoleImport

KIND = IdKind("user_role_import")
STATUSES = ("queued", "processing", "complete", "error")


async def _account_admins(stmt: Select[Any], ctx: V5Context) -> Select[Any]:
    """Imports change grants anywhere: who may update users account-wide sees them."""
    return stmt if await ctx.can("user:update", None) else stmt.where(false())


RESOURCE = Resource(
    kind=KIND,
    model=UserRoleImport,
    title="UserRoleImport",
    fields=(
        typed_id("user_role_import", UserRoleImport.id),
        typed_id("asset", UserRoleImport.asset_id),
        column(
            UserRoleImport.account_id,
            {"type": ["string", "null"]},
            convert=lambda key: None if key is None else f"account:{key}",
        ),
        column(UserRoleImport.status, {"type": "string", "enum": list(STATUSES)}),
        column(UserRoleImport.row_count),
        column(UserRoleImport.created_count),
        column(UserRoleImport.error_count),
        column(
            UserRoleImport.errors,
            {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"line": {"type": "integer"}, "message": {"type": "string"}},
                },
            },
            convert=lambda errors: list(errors or []),
        ),
        timestamp(UserRoleImport.created_at),
        timestamp(UserRoleImport.updated_at),
    ),
    visible=_account_admins,
    default_order=("id", "desc"),
)
