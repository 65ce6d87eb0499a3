"""A tenant-scoped session never reads or writes another tenant's rows (both engines)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from tests.helpers import ON_POSTGRES, TenantFactory

from tenantry.core.identity import service as identity
from tenantry.core.identity.models import Role, User
from tenantry.core.tenancy import CrossTenantWrite, tenant_session

pytestmark = pytest.mark.anyio


async def two_tenants_with_users(
    sessions: async_sessionmaker[AsyncSession], make_tenant: TenantFactory
) -> tuple[int, int, int, int]:
    a, b = await make_tenant(), await make_tenant()
    async with tenant_session(sessions, a) as session:
        user_a = await identity.create_user(session, email="ann@example.org", name="Ann")
    async with tenant_session(sessions, b) as session:
        user_b = await identity.create_user(session, email="bob@example.org", name="Bob")
    return a, b, user_a.id, user_b.id


async def test_reads_see_only_own_tenant(
    sessions: async_sessionmaker[AsyncSession], make_tenant: TenantFactory
) -> None:
    a, b, user_a, user_b = await two_tenants_with_users(sessions, make_tenant)
    async with tenant_session(sessions, a) as session:
        emails = set(await session.scalars(select(User.email).where(User.id.in_([user_a, user_b]))))
        assert emails == {"ann@example.org"}
        assert await session.get(User, (b, user_b)) is None
        joined = await session.scalars(
            select(Role.name).join(User, User.tenant_id == Role.tenant_id).where(User.id == user_b)
        )
        assert list(joined) == []


async def test_bulk_update_and_delete_are_scoped(
    sessions: async_sessionmaker[AsyncSession], make_tenant: TenantFactory
) -> None:
    a, b, _user_a, user_b = await two_tenants_with_users(sessions, make_tenant)
    async with tenant_session(sessions, a) as session:
        result = await session.execute(update(User).where(User.id == user_b).values(name="Hacked"))
        assert result.rowcount == 0  # type: ignore[attr-defined]
    async with tenant_session(sessions, b) as session:
        assert (await session.get_one(User, (b, user_b))).name == "Bob"


async def test_writing_a_row_of_another_tenant_is_refused(
    sessions: async_sessionmaker[AsyncSession], make_tenant: TenantFactory
) -> None:
    a, b, _user_a, _user_b = await two_tenants_with_users(sessions, make_tenant)
    with pytest.raises(CrossTenantWrite):
        async with tenant_session(sessions, a) as session:
            session.add(User(tenant_id=b, email="evil@example.org", name="Evil"))
            await session.flush()
    async with tenant_session(sessions, b) as session:
        count = await session.scalar(
            select(func.count()).select_from(User).where(User.email == "evil@example.org")
        )
        assert count == 0


async def test_new_rows_are_stamped_with_the_session_tenant(
    sessions: async_sessionmaker[AsyncSession], make_tenant: TenantFactory
) -> None:
    a = await make_tenant()
    async with tenant_session(sessions, a) as session:
        user = User(email="new@example.org", name="New")
        session.add(user)
        await session.flush()
        assert user.tenant_id == a
        assert user.id is not None


async def test_same_email_in_two_tenants_but_not_twice_in_one(
    sessions: async_sessionmaker[AsyncSession], make_tenant: TenantFactory
) -> None:
    from tenantry.core.errors import Conflict

    a, b = await make_tenant(), await make_tenant()
    for tenant in (a, b):
        async with tenant_session(sessions, tenant) as session:
            await identity.create_user(session, email="Same@Example.org", name="Same")
    with pytest.raises(Conflict):
        async with tenant_session(sessions, a) as session:
            await identity.create_user(session, email="same@example.org", name="Again")


@pytest.mark.postgres_only
async def test_row_level_security_blocks_raw_sql_that_bypasses_the_app_filter(
    sessions: async_sessionmaker[AsyncSession], make_tenant: TenantFactory
) -> None:
    a, b, _user_a, user_b = await two_tenants_with_users(sessions, make_tenant)
    async with tenant_session(sessions, a) as session:
        # Raw SQL skips the ORM filter entirely; only RLS stands between A and B here.
        rows = (await session.execute(text("SELECT tenant_id FROM users"))).scalars().all()
        assert set(rows) == {a}
        hit = await session.execute(
            text("UPDATE users SET name = 'x' WHERE id = :id"), {"id": user_b}
        )
        assert hit.rowcount == 0  # type: ignore[attr-defined]
        with pytest.raises(Exception, match="row-level security"):
            await session.execute(
                text(
                    "INSERT INTO users (tenant_id, id, email, name, active, timezone, "
                    "created_at, updated_at) VALUES (:t, 999999999, 'x@y.z', 'X', true, 'UTC', "
                    "now(), now())"
                ),
                {"t": b},
            )


@pytest.mark.postgres_only
async def test_app_role_without_a_tenant_sees_no_tenant_rows(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession], make_tenant: TenantFactory
) -> None:
    await two_tenants_with_users(sessions, make_tenant)
    async with engine.connect() as connection:
        assert (await connection.execute(text("SELECT count(*) FROM users"))).scalar() == 0
        assert ON_POSTGRES
