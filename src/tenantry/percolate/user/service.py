"""User rules: create, change, disable and change a password, as the reference §3.16 says.

A caller reads (``user:read``), changes (``user:update``) or disables (``user:delete``) the
users who hold a role in a scope where it holds that capability, or every user when it holds
it account-wide; everyone reads and edits their own profile. Creating a user needs
``user:create`` in the scope of the ``user_role`` sent along (or account-wide without one).

A new ``email`` is the sign-in address, so it is not set directly: the new address gets a
confirmation link and the old one a notice (``tenantry.core.identity.email_change``); the
answer shows the email unchanged until the link is followed.
"""

from __future__ import annotations

from functools import lru_cache
from zoneinfo import available_timezones

from sqlalchemy import func, select

from tenantry.core.errors import Conflict, FieldError
from tenantry.core.identity import service as identity
from tenantry.core.identity.email_change import request_email_change
from tenantry.core.identity.models import User
from tenantry.core.resources.scoped import of_tenant
from tenantry.percolate.api.context import V5Context, forbidden
from tenantry.percolate.api.ids import invalid
from tenantry.percolate.role.user_role import service as user_role
from tenantry.percolate.user.bodies import UserCreate, UserUpdate
from tenantry.percolate.user.declaration import holders_in_reach


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def valid_timezone(value: str, key: str = "timezone") -> str:
    """A tz database name (``America/New_York``, ``US/Eastern``, ``UTC``); abbreviations such
    as ``EST`` are refused, as the seed says."""
    if value != "UTC" and ("/" not in value or value not in _zones()):
        raise invalid(key, "A timezone name from the tz database, e.g. America/New_York.", value)
    return value


async def create_user(ctx: V5Context, body: UserCreate) -> int:
    timezone = valid_timezone(body.timezone)
    if body.user_role is None:
        await ctx.require("user:create", None, "user_role")
    else:
        from tenantry.percolate.api.ids import parse_scope

        scope_id = await ctx.scope_of(
            parse_scope(body.user_role.scope_id, "user_role.scope_id"), "user_role.scope_id"
        )
        await ctx.require("user:create", scope_id, "user_role.scope_id", body.user_role.scope_id)
    user = await identity.create_user(ctx.session, email=body.email, name=body.name)
    user.timezone = timezone
    await ctx.session.flush()
    if body.user_role is not None:
        await user_role.grant(
            ctx,
            user.id,
            body.user_role.role_id,
            body.user_role.scope_id,
            key_prefix="user_role.",
        )
    return user.id


async def _target(ctx: V5Context, key: int, capability: str) -> User:
    """The user ``key`` if the caller may act on it with ``capability``; 403 otherwise."""
    user = await ctx.session.get(User, (ctx.tenant_id, key))
    if user is None:
        raise forbidden("user_id", f"user:{key}", "user")
    if key == ctx.user_id:
        return user
    condition = await holders_in_reach(ctx, capability)
    if condition is not None:
        allowed = await ctx.session.scalar(
            select(func.count()).where(of_tenant(User, ctx.tenant_id), User.id == key, condition)
        )
        if not allowed:
            raise forbidden("user_id", f"user:{key}", "user")
    return user


async def update_user(ctx: V5Context, key: int, body: UserUpdate) -> None:
    user = await _target(ctx, key, "user:update")
    if body.active is not None and body.active != user.active:
        if key == ctx.user_id:
            raise forbidden("active", body.active, "user")
        await _target(ctx, key, "user:delete")
        user.active = body.active
    if body.email is not None:
        email = identity.normalize_email(body.email)
        if email != user.email:
            taken = await ctx.session.scalar(
                select(func.count()).where(of_tenant(User, ctx.tenant_id), User.email == email)
            )
            if taken:
                raise Conflict(
                    "A user with this email already exists.", [FieldError("email", "taken", email)]
                )
            await request_email_change(ctx.session, ctx.platform.settings, user, email)
    if body.name is not None:
        name = body.name.strip()
        if not name:
            raise invalid("name", "A user needs a name.", body.name)
        user.name = name
    if body.timezone is not None:
        user.timezone = valid_timezone(body.timezone)
    await ctx.session.flush()


async def disable_user(ctx: V5Context, key: int) -> None:
    if key == ctx.user_id:
        raise forbidden("user_id", f"user:{key}", "user")
    user = await _target(ctx, key, "user:delete")
    user.active = False
    await ctx.session.flush()
