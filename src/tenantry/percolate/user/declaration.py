"""The user resource (reference §3.16): who sees which users, wire fields and filters."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, or_, select

from tenantry.core.identity.models import User, UserRole
from tenantry.core.resources.scoped import of_tenant
from tenantry.percolate.api.common import applying_in_scopes
from tenantry.percolate.api.context import V5Context
from tenantry.percolate.api.fields import column, constant, nullable, timestamp, typed_id
from tenantry.percolate.api.resource import ListFilter, OrderField, Resource, date_range
from tenantry.percolate.role.user_role import declaration as user_role

KIND = user_role.USER


async def holders_in_reach(ctx: V5Context, capability: str) -> Any:
    """A condition: users the caller may act on with ``capability`` (``None``: all)."""
    reach = await ctx.reach(capability)
    if reach.everywhere:
        return None
    holders = select(UserRole.user_id).where(
        of_tenant(UserRole, ctx.tenant_id), reach.condition(UserRole.scope_id)
    )
    return or_(User.id == ctx.user_id, User.id.in_(holders))


async def _visible(stmt: Select[Any], ctx: V5Context) -> Select[Any]:
    condition = await holders_in_reach(ctx, "user:read")
    return stmt if condition is None else stmt.where(condition)


_GRANTS_IN_SCOPES = applying_in_scopes(UserRole.scope_id, hierarchical_param=False)


async def _in_scopes(stmt: Select[Any], values: dict[str, Any], ctx: V5Context) -> Select[Any]:
    """Users holding a role that applies in the given scopes."""
    if "scope_ids" not in values:
        return stmt
    grants = select(UserRole.user_id).where(of_tenant(UserRole, ctx.tenant_id))
    grants = await _GRANTS_IN_SCOPES.apply(grants, values, ctx)
    if ctx.alternatives:  # they belong to this subquery, not to the users list
        grants = grants.where(or_(*ctx.alternatives))
        ctx.alternatives = []
    return stmt.where(User.id.in_(grants))


RESOURCE = Resource(
    kind=KIND,
    model=User,
    title="User",
    fields=(
        typed_id("user", User.id),
        column(User.email, {"type": "string"}),
        column(User.name, {"type": "string"}),
        column(User.email, {"type": "string"}, name="username"),
        column(User.timezone, {"type": "string"}),
        constant("avatar_id", None, nullable({"type": "string"})),
        column(User.active, {"type": "boolean"}),
        timestamp(User.last_login_at, name="last_active"),
        timestamp(User.created_at),
        timestamp(User.updated_at),
    ),
    visible=_visible,
    order_fields={
        "name": OrderField(User.name),
        "email": OrderField(User.email),
        "created_at": OrderField(User.created_at),
    },
    filters=(
        ListFilter(_GRANTS_IN_SCOPES.params, _in_scopes),
        date_range("created_at", User.created_at),
    ),
)
