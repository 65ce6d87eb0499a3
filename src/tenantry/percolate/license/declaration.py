"""The license resource: the licenses of the account's scope tree, as the vendor's clients
read them (``GET /api/v5/license/license:N`` and the list by tenant)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, false

from tenantry.core.scopes import Scope
from tenantry.percolate.api.common import visible_in_reach
from tenantry.percolate.api.context import V5Context
from tenantry.percolate.api.fields import column, computed, constant, scope, timestamp, typed_id
from tenantry.percolate.api.ids import ACCOUNT, IdKind, invalid
from tenantry.percolate.api.params import Param, csv_param
from tenantry.percolate.api.resource import ListFilter, OrderField, Resource, date_range
from tenantry.percolate.api.schemas import nullable

KIND = IdKind("license")
STATUSES = ("active", "inactive")
TENANT_PATTERN = r"^(?:tenant|account):\d+$"


def tenant_wire(tenant_id: int) -> str:
    """The account is the tenant: one id for both, as in the token's ``authorized_tenant_id``."""
    return f"{ACCOUNT}:{tenant_id}"


_IN_REACH = visible_in_reach("license:read", Scope.id)


async def _licenses_in_reach(stmt: Select[Any], ctx: V5Context) -> Select[Any]:
    return await _IN_REACH(stmt.where(Scope.kind == "license"), ctx)


def _tenant_param() -> Param:
    def parse(raw: str) -> int:
        head, _, tail = raw.strip().partition(":")
        if head not in ("tenant", ACCOUNT) or not tail.isascii() or not tail.isdigit():
            raise invalid("tenant_id", "Expected a tenant id such as account:1.", raw)
        return int(tail)

    return Param(
        "tenant_id",
        {"type": "string", "pattern": TENANT_PATTERN},
        parse,
        "The tenant (account) whose licenses to list: `account:N` (`tenant:N` is accepted).",
        echo=tenant_wire,
    )


async def _tenant(stmt: Select[Any], values: dict[str, Any], ctx: V5Context) -> Select[Any]:
    if "tenant_id" in values and values["tenant_id"] != ctx.tenant_id:
        return stmt.where(false())
    return stmt


async def _statuses(stmt: Select[Any], values: dict[str, Any], _ctx: V5Context) -> Select[Any]:
    # Every license of the tree is active: Tenantry has no deactivated licenses.
    if "statuses" in values and "active" not in values["statuses"]:
        return stmt.where(false())
    return stmt


RESOURCE = Resource(
    kind=KIND,
    model=Scope,
    title="License",
    fields=(
        typed_id("license", Scope.id),
        column(Scope.name),
        constant("status", "active", {"type": "string", "enum": list(STATUSES)}),
        scope(Scope.parent_id, name="parent_id"),
        computed(
            "tenant_id",
            lambda _row, ctx: tenant_wire(ctx.tenant_id),
            {"type": "string", "pattern": TENANT_PATTERN},
        ),
        constant("timezone", "UTC", {"type": "string"}),
        constant("avatar_id", None, nullable({"type": "string"})),
        timestamp(Scope.created_at),
        timestamp(Scope.updated_at),
    ),
    visible=_licenses_in_reach,
    order_fields={"name": OrderField(Scope.name)},
    filters=(
        ListFilter((_tenant_param(),), _tenant),
        ListFilter((csv_param("statuses", "A CSV of statuses.", enum=STATUSES),), _statuses),
        date_range("created_at", Scope.created_at),
    ),
)
