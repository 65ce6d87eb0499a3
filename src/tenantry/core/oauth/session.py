"""The session an OAuth endpoint works in: the client's tenant, found before anything else."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession

from tenantry.core.db import transaction
from tenantry.core.platform import Platform
from tenantry.core.tenancy import tenant_session

__all__ = ["client_session"]


@asynccontextmanager
async def client_session(platform: Platform, tenant_id: int | None) -> AsyncIterator[AsyncSession]:
    """The client's tenant session; an unscoped one (which finds no client) when unknown."""
    if tenant_id is None:
        async with transaction(platform.sessions) as session:
            yield session
    else:
        async with tenant_session(platform.sessions, tenant_id) as session:
            yield session
