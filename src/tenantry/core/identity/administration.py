"""What a tenant's admin does to its users: enable or disable one, set their tenant-wide
roles, reset their second factor. The console calls these; any other admin surface should too.

Functions take a tenant-scoped session (the caller owns the transaction) and raise
``NotFound`` for a user outside the session's tenant.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from tenantry.core.errors import NotFound
from tenantry.core.identity import two_factor
from tenantry.core.identity.models import Role, User, UserRole

__all__ = ["get_user", "reset_two_factor", "set_active", "set_roles", "tenant_wide_role_ids"]


async def get_user(session: AsyncSession, user_id: int) -> User:
    user = await session.scalar(select(User).where(User.id == user_id))
    if user is None:
        raise NotFound("No such user.")
    return user


async def set_active(session: AsyncSession, user_id: int, active: bool) -> User:
    """A disabled user is signed out at once (every page re-reads the user) and cannot sign in."""
    user = await get_user(session, user_id)
    user.active = active
    await session.flush()
    return user


async def tenant_wide_role_ids(session: AsyncSession, user_id: int) -> set[int]:
    rows = await session.scalars(
        select(UserRole.role_id).where(UserRole.user_id == user_id, UserRole.scope_id.is_(None))
    )
    return set(rows)


async def set_roles(session: AsyncSession, user_id: int, role_ids: Iterable[int]) -> set[int]:
    """Grant exactly ``role_ids`` tenant-wide (unknown ids are ignored; scoped grants stay)."""
    await get_user(session, user_id)
    known = set(await session.scalars(select(Role.id)))
    wanted = set(role_ids) & known
    held = await tenant_wide_role_ids(session, user_id)
    for role_id in wanted - held:
        session.add(UserRole(user_id=user_id, role_id=role_id))
    if held - wanted:
        await session.execute(
            delete(UserRole).where(
                UserRole.user_id == user_id,
                UserRole.scope_id.is_(None),
                UserRole.role_id.in_(held - wanted),
            )
        )
    await session.flush()
    return wanted


async def reset_two_factor(session: AsyncSession, user_id: int) -> None:
    """Turn a user's two-factor off without their code (they lost the device); they sign in
    with the password alone until they set it up again."""
    await get_user(session, user_id)
    await two_factor.remove(session, user_id)
