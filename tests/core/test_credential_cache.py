"""The verified-credential cache: per tenant, bounded by the credential's expiry, and forgotten
as soon as this process commits a change to the tenant (or a write outside any tenant)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tenantry.core.base import utcnow
from tenantry.core.credential_cache import CredentialCache, tenant_changed
from tenantry.core.identity import service as identity
from tenantry.core.identity.models import User
from tenantry.core.tenancy import Tenant, tenant_session

pytestmark = pytest.mark.anyio


def _cache() -> CredentialCache[str]:
    return CredentialCache(ttl=60)


async def test_an_entry_is_kept_for_its_tenant_only() -> None:
    cache = _cache()
    cache.put(1, "key", "principal", epoch=cache.epoch(1))
    assert cache.get(1, "key") == "principal"
    assert cache.get(2, "key") is None


async def test_a_zero_ttl_keeps_nothing() -> None:
    cache: CredentialCache[str] = CredentialCache(ttl=0)
    cache.put(1, "key", "principal", epoch=cache.epoch(1))
    assert cache.get(1, "key") is None


async def test_an_expired_credential_is_not_kept() -> None:
    cache = _cache()
    cache.put(1, "key", "principal", epoch=cache.epoch(1), expires_at=utcnow() - timedelta(1))
    assert cache.get(1, "key") is None


async def test_a_change_during_the_read_makes_the_entry_stale() -> None:
    cache = _cache()
    before = cache.epoch(7)
    tenant_changed(7)  # committed while the credential's row was being read
    cache.put(7, "key", "principal", epoch=before)
    assert cache.get(7, "key") is None


async def test_a_committed_tenant_change_forgets_that_tenant_only(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    cache = _cache()
    async with sessions() as session, session.begin():
        first = (await identity.create_tenant(session, "Cache One")).id
        second = (await identity.create_tenant(session, "Cache Two")).id
    async with tenant_session(sessions, first) as session:
        user = await identity.create_user(session, email="cache@example.com", name="C")
    for tenant in (first, second):
        cache.put(tenant, "key", f"principal {tenant}", epoch=cache.epoch(tenant))
    async with tenant_session(sessions, first) as session:
        await session.execute(update(User).where(User.id == user.id).values(active=False))
    assert cache.get(first, "key") is None
    assert cache.get(second, "key") == f"principal {second}"


async def test_a_write_outside_any_tenant_forgets_every_tenant(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    cache = _cache()
    async with sessions() as session, session.begin():
        tenant = (await identity.create_tenant(session, "Cache Three")).id
    cache.put(tenant, "key", "principal", epoch=cache.epoch(tenant))
    async with sessions() as session, session.begin():
        await session.execute(update(Tenant).where(Tenant.id == tenant).values(active=False))
    assert cache.get(tenant, "key") is None
