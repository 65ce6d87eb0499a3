"""The user_role resource (reference §3.18): grant ids, wire fields, filters and visibility."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, false, func, or_, select

from tenantry.core.identity.models import Role, RolePermission, User, UserRole
from tenantry.core.identity.permissions import catalogue
from tenantry.core.resources.scoped import of_tenant, same_tenant
from tenantry.core.scopes import ancestors_select
from tenantry.percolate.api.common import applying_in_scopes
from tenantry.percolate.api.context import V5Context
from tenantry.percolate.api.fields import scope, timestamp, typed_id
from tenantry.percolate.api.ids import IdKind
from tenantry.percolate.api.params import bool_param, choice_param, csv_param, ids_param
from tenantry.percolate.api.resource import (
    Include,
    ListFilter,
    OrderField,
    Resource,
    column_in,
    date_range,
)
from tenantry.percolate.role import declaration as role

KIND = IdKind("user_role")
USER = IdKind("user", list_pattern=r"^user:[a-zA-Z0-9][a-zA-Z0-9_]*$")


async def _visible(stmt: Select[Any], ctx: V5Context) -> Select[Any]:
    """Grants in or below a scope where the caller reads users, and the grants inherited
    there from above (what applies in the caller's scopes)."""
    reach = await ctx.reach("user:read")
    if reach.everywhere:
        return stmt
    granted = [s for s in ctx.grants.scopes_with("user:read") if s is not None]
    if not granted:
        return stmt.where(false())
    return stmt.where(
        or_(
            reach.condition(UserRole.scope_id),
            UserRole.scope_id.in_(ancestors_select(ctx.tenant_id, granted)),
            UserRole.scope_id.is_(None),
        )
    )


async def _with_capabilities(
    stmt: Select[Any], values: dict[str, Any], ctx: V5Context
) -> Select[Any]:
    """Grants of roles holding every capability listed."""
    wanted = set(values.get("capabilities", []))
    if not wanted:
        return stmt
    holding = (
        select(RolePermission.role_id)
        .where(of_tenant(RolePermission, ctx.tenant_id), RolePermission.permission.in_(wanted))
        .group_by(RolePermission.role_id)
        .having(func.count(func.distinct(RolePermission.permission)) == len(wanted))
    )
    clauses: list[ColumnElement[bool]] = [UserRole.role_id.in_(holding)]
    presets = [p for p in ("admin", "member") if wanted <= catalogue.expand_preset(p)]
    if presets:
        clauses.append(
            UserRole.role_id.in_(
                select(Role.id).where(of_tenant(Role, ctx.tenant_id), Role.preset.in_(presets))
            )
        )
    return stmt.where(or_(*clauses))


async def _exclude_disabled(
    stmt: Select[Any], values: dict[str, Any], ctx: V5Context
) -> Select[Any]:
    if values.get("exclude_disabled"):
        stmt = stmt.where(
            UserRole.user_id.in_(
                select(User.id).where(of_tenant(User, ctx.tenant_id), User.active.is_(True))
            )
        )
    return stmt


async def _distinct(stmt: Select[Any], values: dict[str, Any], ctx: V5Context) -> Select[Any]:
    """One grant per user (or role): the first one made, among those the filters kept."""
    field = values.get("distinct")
    if field is None:
        return stmt
    column = UserRole.user_id if field == "user_id" else UserRole.role_id
    if ctx.alternatives:  # the distinct choice is made among rows of every alternative
        stmt = stmt.where(or_(*ctx.alternatives))
        ctx.alternatives = []
    kept = stmt.with_only_columns(UserRole.id, column, maintain_column_froms=True).subquery()
    first = select(func.min(kept.c.id)).group_by(kept.c[column.key])
    return stmt.where(UserRole.id.in_(first))


RESOURCE = Resource(
    kind=KIND,
    model=UserRole,
    title="UserRole",
    fields=(
        typed_id("user_role", UserRole.id),
        typed_id("user", UserRole.user_id),
        typed_id("role", UserRole.role_id),
        scope(UserRole.scope_id),
        timestamp(UserRole.created_at),
        timestamp(UserRole.updated_at),
    ),
    visible=_visible,
    default_limit=100,
    order_fields={
        "user_id.name": OrderField(
            User.name,
            join=lambda stmt: stmt.join(
                User, (same_tenant(User, UserRole)) & (User.id == UserRole.user_id)
            ),
        )
    },
    includes={
        "user_id": Include("user", lambda row: (row["user_id"],)),
        "role_id": Include("role", lambda row: (row["role_id"],)),
    },
    filters=(
        column_in(
            ids_param("role_ids", role.KIND, "A CSV of unique role IDs to filter by."),
            UserRole.role_id,
        ),
        column_in(
            ids_param("user_ids", USER, "A CSV of unique user IDs to filter by."), UserRole.user_id
        ),
        applying_in_scopes(UserRole.scope_id, hierarchical_param=True),
        ListFilter(
            (
                csv_param(
                    "capabilities",
                    "A CSV of capability codes: only grants of roles having all of them.",
                    pattern=r"^[a-z_]+(:[a-z_-]+)+$",
                ),
            ),
            _with_capabilities,
        ),
        ListFilter(
            (bool_param("exclude_disabled", "If true, disabled users are filtered out."),),
            _exclude_disabled,
        ),
        date_range("created_at", UserRole.created_at),
        ListFilter(
            (
                choice_param(
                    "distinct",
                    "Reduce the result so that the user_id or role_id is unique.",
                    ("user_id", "role_id"),
                ),
            ),
            _distinct,
        ),
    ),
)
