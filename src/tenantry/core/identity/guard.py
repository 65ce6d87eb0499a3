"""Who a face that does not manage sign-in may not touch: users holding platform roles.

Users are one table for every face. PERSCOM's API manages a roster: its keys carry
``update:user`` / ``delete:user`` but know nothing of the roles the platform grants (the
built-in ``admin``, Percolate's roles). Letting such a key change the sign-in email of, or
delete, a user who holds any of those roles would turn a roster permission into a takeover
of that user (change the email, then reset the password through the other face). So a user
holding any role grant, in any scope, is *protected* from those writes.
"""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from tenantry.core.identity.models import UserRole

__all__ = ["holds_platform_roles"]


async def holds_platform_roles(
    db: AsyncConnection | AsyncSession, tenant_id: int, user_id: int
) -> bool:
    """Whether the user holds any role grant (tenant-wide or in a scope)."""
    query = select(exists().where(UserRole.tenant_id == tenant_id, UserRole.user_id == user_id))
    return bool(await db.scalar(query))
