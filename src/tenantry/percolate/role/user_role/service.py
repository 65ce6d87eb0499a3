"""Grant rules: grant a role to a user in a scope, and revoke it.

The grant applies in its scope and every scope below it. Reading grants needs ``user:read``,
making and revoking them ``user:update``, in the grant's scope or above.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from tenantry.core.errors import Conflict, FieldError
from tenantry.core.identity.models import User, UserRole
from tenantry.core.resources.scoped import of_tenant
from tenantry.percolate.api.context import V5Context, forbidden
from tenantry.percolate.api.ids import parse_scope
from tenantry.percolate.role import declaration as role
from tenantry.percolate.role import service as role_rules
from tenantry.percolate.role.user_role.bodies import UserRoleBody
from tenantry.percolate.role.user_role.declaration import USER


async def grant(
    ctx: V5Context, user_id: int, role_wire: str, scope_wire: str, *, key_prefix: str = ""
) -> int:
    """Grant a role in a scope (``user:update`` there); the same triple twice is a 409."""
    scope_id = await ctx.scope_of(
        parse_scope(scope_wire, f"{key_prefix}scope_id"), f"{key_prefix}scope_id"
    )
    await ctx.require("user:update", scope_id, f"{key_prefix}scope_id", scope_wire)
    role_id = role.KIND.parse(role_wire, f"{key_prefix}role_id")
    await role_rules.usable_role(ctx, role_id, scope_id, f"{key_prefix}role_id")
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


async def create_user_role(ctx: V5Context, body: UserRoleBody) -> int:
    user_id = USER.parse(body.user_id, "user_id")
    exists = await ctx.session.get(User, (ctx.tenant_id, user_id))
    if exists is None:
        raise forbidden("user_id", body.user_id, "user")
    return await grant(ctx, user_id, body.role_id, body.scope_id)


async def delete_user_role(ctx: V5Context, key: int) -> None:
    row = await ctx.session.get(UserRole, (ctx.tenant_id, key))
    if row is None or not await ctx.can("user:update", row.scope_id):
        raise forbidden("user_role_id", f"user_role:{key}", "user_role")
    await ctx.session.delete(row)
    await ctx.session.flush()
