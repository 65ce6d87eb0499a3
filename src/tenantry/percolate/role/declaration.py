"""The role resource (reference §3.17): role ids, codes, capability lists and visibility."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, false, or_, select

from tenantry.core.identity.models import Role, RolePermission
from tenantry.core.identity.permissions import catalogue
from tenantry.core.resources.scoped import of_tenant, same_tenant
from tenantry.core.scopes import ancestors_select
from tenantry.percolate.api.context import V5Context
from tenantry.percolate.api.fields import column, constant, scope, timestamp, typed_id
from tenantry.percolate.api.ids import IdKind
from tenantry.percolate.api.params import scope_ids_param
from tenantry.percolate.api.resource import ListFilter, OrderField, Resource, date_range
from tenantry.percolate.role.models import RoleProfile

KIND = IdKind("role", list_pattern=r"^role:[a-zA-Z0-9][a-zA-Z0-9_]*$")
CODE_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"
_CODE = re.compile(CODE_PATTERN)
_JOIN = and_(same_tenant(RoleProfile, Role), RoleProfile.role_id == Role.id)


async def _capabilities(ctx: V5Context, rows: Any) -> dict[int, dict[str, Any]]:
    """Capabilities of a page of roles: presets expanded, the rest in one query."""
    explicit = [row["id"] for row in rows if row["preset"] is None]
    granted: dict[int, list[str]] = {}
    if explicit:
        found = await ctx.db.rows(
            select(RolePermission.role_id, RolePermission.permission).where(
                of_tenant(RolePermission, ctx.tenant_id), RolePermission.role_id.in_(explicit)
            )
        )
        for role_id, permission in found:
            granted.setdefault(role_id, []).append(permission)
    out: dict[int, dict[str, Any]] = {}
    for row in rows:
        if row["preset"] is not None:
            caps = sorted(catalogue.expand_preset(row["preset"]))
        else:
            caps = sorted(granted.get(row["id"], []))
        out[row["id"]] = {"capabilities": caps}
    return out


async def _visible(stmt: Select[Any], ctx: V5Context) -> Select[Any]:
    if not ctx.holds_anywhere("role:read"):
        return stmt.where(false())
    reach = await ctx.reach("role:read")
    if reach.everywhere:
        return stmt
    return stmt.where(or_(RoleProfile.system.is_(True), reach.condition(RoleProfile.scope_id)))


async def _usable_in(stmt: Select[Any], values: dict[str, Any], ctx: V5Context) -> Select[Any]:
    """Roles usable in the given scopes: built-ins, the account's, and those of each scope
    and its ancestors."""
    if "scope_ids" not in values:
        return stmt
    rows, account, system = await ctx.filter_scopes(values["scope_ids"])
    clauses: list[ColumnElement[bool]] = []
    if rows or account or system:
        clauses.append(RoleProfile.system.is_(True))
    if rows or account:
        clauses.append(
            and_(
                RoleProfile.scope_id.is_(None),
                or_(RoleProfile.system.is_(None), RoleProfile.system.is_(False)),
            )
        )
    if rows:
        clauses.append(RoleProfile.scope_id.in_(ancestors_select(ctx.tenant_id, rows)))
    return stmt.where(or_(*clauses) if clauses else false())


CAPABILITY_LIST = {"type": "array", "items": {"type": "string"}}

RESOURCE = Resource(
    kind=KIND,
    model=Role,
    title="Role",
    outer=((RoleProfile, _JOIN),),
    fields=(
        typed_id("role", Role.id),
        column(RoleProfile.code, {"type": "string"}, fallback=Role.name),
        column(Role.name, {"type": "string"}),
        column(Role.description, {"type": "string"}),
        constant("capabilities", [], CAPABILITY_LIST),
        scope(RoleProfile.scope_id, system=RoleProfile.system),
        timestamp(Role.created_at),
        timestamp(Role.updated_at),
    ),
    enrich=_capabilities,
    also_select=(Role.preset,),
    visible=_visible,
    order_fields={"name": OrderField(Role.name)},
    required_any=("scope_ids",),
    filters=(
        ListFilter(
            (scope_ids_param("A CSV of scope IDs; roles usable in them are returned (required)."),),
            _usable_in,
        ),
        date_range("created_at", Role.created_at),
    ),
)
