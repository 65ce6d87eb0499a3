"""``/api/v5/user_role/``: a role granted to a user in a scope (reference §3.18).

The grant applies in its scope and every scope below it. Reading grants needs ``user:read``,
making and revoking them ``user:update``, in the grant's scope or above.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ColumnElement, Select, false, func, or_, select
from sqlalchemy.exc import IntegrityError

from tenantry.core.errors import Conflict, FieldError
from tenantry.core.identity.models import Role, RolePermission, User, UserRole
from tenantry.core.identity.permissions import catalogue
from tenantry.core.resources.scoped import of_tenant, same_tenant
from tenantry.core.scopes import ancestors_select
from tenantry.percolate.api.common import (
    applying_in_scopes,
)
from tenantry.percolate.api.context import V5Context, forbidden
from tenantry.percolate.api.fields import scope, timestamp, typed_id
from tenantry.percolate.api.ids import SCOPE_PATTERN, IdKind, parse_scope
from tenantry.percolate.api.params import (
    bool_param,
    choice_param,
    csv_param,
    ids_param,
)
from tenantry.percolate.api.resource import (
    Include,
    ListFilter,
    OrderField,
    Resource,
    column_in,
    date_range,
)
from tenantry.percolate.api.routes import Create, Delete, resource_router
from tenantry.percolate.role import resource as role

__all__ = ["KIND", "RESOURCE", "UserRoleBody", "grant", "router"]

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


class UserRoleBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    user_id: str = Field(pattern=r"^user:\d+$")
    role_id: str = Field(pattern=r"^role:\d+$")
    scope_id: str = Field(pattern=SCOPE_PATTERN, description="The scope the role applies in.")


class UserRoleOfNewUser(BaseModel):
    """``user_role`` of a user create: the role and scope (the user is the one created)."""

    model_config = ConfigDict(extra="ignore")

    role_id: str = Field(pattern=r"^role:\d+$")
    scope_id: str = Field(pattern=SCOPE_PATTERN)


async def grant(
    ctx: V5Context, user_id: int, role_wire: str, scope_wire: str, *, key_prefix: str = ""
) -> int:
    """Grant a role in a scope (``user:update`` there); the same triple twice is a 409."""
    scope_id = await ctx.scope_of(
        parse_scope(scope_wire, f"{key_prefix}scope_id"), f"{key_prefix}scope_id"
    )
    await ctx.require("user:update", scope_id, f"{key_prefix}scope_id", scope_wire)
    role_id = role.KIND.parse(role_wire, f"{key_prefix}role_id")
    await role.usable_role(ctx, role_id, scope_id, f"{key_prefix}role_id")
    duplicate = await ctx.session.scalar(
        select(func.count()).where(
            of_tenant(UserRole, ctx.tenant_id),
            UserRole.user_id == user_id,
            UserRole.role_id == role_id,
            UserRole.scope_id.is_(None) if scope_id is None else UserRole.scope_id == scope_id,
        )
    )
    if duplicate:
        raise Conflict(
            "The user already holds this role in this scope.",
            [FieldError(f"{key_prefix}role_id", "taken", role_wire)],
        )
    row = UserRole(tenant_id=ctx.tenant_id, user_id=user_id, role_id=role_id, scope_id=scope_id)
    try:
        async with ctx.session.begin_nested():
            ctx.session.add(row)
            await ctx.session.flush()
    except IntegrityError:
        raise Conflict("The user already holds this role in this scope.") from None
    return row.id


async def _create(ctx: V5Context, body: UserRoleBody) -> int:
    user_id = USER.parse(body.user_id, "user_id")
    exists = await ctx.session.get(User, (ctx.tenant_id, user_id))
    if exists is None:
        raise forbidden("user_id", body.user_id, "user")
    return await grant(ctx, user_id, body.role_id, body.scope_id)


async def _delete(ctx: V5Context, key: int) -> None:
    row = await ctx.session.get(UserRole, (ctx.tenant_id, key))
    if row is None or not await ctx.can("user:update", row.scope_id):
        raise forbidden("user_role_id", f"user_role:{key}", "user_role")
    await ctx.session.delete(row)
    await ctx.session.flush()


router = resource_router(
    RESOURCE,
    create=Create(UserRoleBody, _create, "Grant a role to a user in a scope (`user:update`)."),
    delete=Delete(_delete, "Revoke a user role."),
    list_description=(
        "User roles. With `scope_ids`, the grants that apply in those scopes: made there,"
        " inherited from above (unless `exclude_hierarchical`), and below them with"
        " `extend_scopes`."
    ),
)
