"""The core scope tree (vendor-neutral) and the migration that holds it."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from tests.helpers import TenantFactory
from tests.migrations.schema_diff import differences_in

from tenantry.core import scopes
from tenantry.core.errors import ValidationFailed
from tenantry.core.identity import service as identity
from tenantry.core.identity.models import Role, RolePermission, UserRole
from tenantry.core.tenancy import tenant_session
from tenantry.percolate import models as v5_models

pytestmark = pytest.mark.anyio

OURS = {
    "scopes",
    "scope_links",
    "user_roles",
    *(
        m.__tablename__
        for m in (v5_models.RoleProfile, v5_models.Platform, v5_models.Channel, v5_models.Term)
    ),
}


async def test_closure_answers_ancestors_and_descendants_at_any_depth(
    sessions: async_sessionmaker[AsyncSession], make_tenant: TenantFactory
) -> None:
    tenant_id = await make_tenant()
    async with tenant_session(sessions, tenant_id) as session:
        chain = [await scopes.create_scope(session, kind="group", name="root")]
        for depth in range(1, 8):
            chain.append(
                await scopes.create_scope(
                    session, kind="node", name=f"n{depth}", parent_id=chain[-1].id
                )
            )
        side = await scopes.create_scope(session, kind="node", name="side", parent_id=chain[2].id)
        assert [s.depth for s in chain] == list(range(8))
        assert await scopes.ancestor_ids(session, [chain[5].id]) == {s.id for s in chain[:6]}
        below = set(await session.scalars(scopes.descendants_select(tenant_id, [chain[2].id])))
        assert below == {s.id for s in chain[2:]} | {side.id}
        with pytest.raises(ValidationFailed):
            await scopes.create_scope(session, kind="node", name="x", parent_id=999999999)


async def test_grants_hold_in_the_scope_and_below_never_above(
    sessions: async_sessionmaker[AsyncSession], make_tenant: TenantFactory
) -> None:
    tenant_id = await make_tenant()
    async with tenant_session(sessions, tenant_id) as session:
        top = await scopes.create_scope(session, kind="group", name="top")
        mid = await scopes.create_scope(session, kind="license", name="mid", parent_id=top.id)
        leaf = await scopes.create_scope(session, kind="brand", name="leaf", parent_id=mid.id)
        other = await scopes.create_scope(session, kind="license", name="other")
        role = Role(name="Editor")
        session.add(role)
        await session.flush()
        session.add(RolePermission(role_id=role.id, permission="thing:edit"))
        user = await identity.create_user(session, email="g@example.org", name="G")
        session.add(UserRole(user_id=user.id, role_id=role.id, scope_id=mid.id))
        await session.flush()
        grants = await scopes.load_grants(session, user.id)
        assert await scopes.holds(session, grants, "thing:edit", mid.id)
        assert await scopes.holds(session, grants, "thing:edit", leaf.id)
        assert not await scopes.holds(session, grants, "thing:edit", top.id)
        assert not await scopes.holds(session, grants, "thing:edit", other.id)
        assert not await scopes.holds(session, grants, "thing:edit", None)
        assert not await scopes.holds(session, grants, "thing:else", leaf.id)
        reach = await scopes.reach(session, grants, "thing:edit")
        assert not reach.everywhere and reach.scope_ids == {mid.id, leaf.id}
        # A scoped grant is not a tenant-wide permission (what Principal.permissions holds).
        assert "thing:edit" not in await identity.effective_permissions(session, user.id)
        session.add(UserRole(user_id=user.id, role_id=role.id))
        await session.flush()
        assert "thing:edit" in await identity.effective_permissions(session, user.id)
        everywhere = await scopes.load_grants(session, user.id)
        assert (await scopes.reach(session, everywhere, "thing:edit")).everywhere


async def test_the_migrated_schema_matches_the_models(owner_engine: AsyncEngine) -> None:
    assert await differences_in(owner_engine, OURS) == []


async def test_a_list_of_scope_ids_is_one_array_on_postgresql_and_a_list_elsewhere(
    sessions: async_sessionmaker[AsyncSession], make_tenant: TenantFactory
) -> None:
    """Whatever the ids, PostgreSQL gets the same SQL text (one prepared statement, one cached
    plan); every engine answers with exactly the rows of those scopes."""
    tenant_id = await make_tenant()
    async with tenant_session(sessions, tenant_id) as session:
        made = [await scopes.create_scope(session, kind="brand", name=f"b{i}") for i in range(5)]
        dialect = session.bind.dialect if session.bind is not None else None
        assert dialect is not None
        texts = set()
        for chosen in ([made[0]], made[1:4], made):
            stmt = select(scopes.Scope.id).where(
                scopes.in_ids(scopes.Scope.id, (s.id for s in chosen))
            )
            assert set(await session.scalars(stmt)) == {s.id for s in chosen}
            sent = stmt.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
            texts.add(str(sent))
    if dialect.name == "postgresql":
        assert len(texts) == 1
        assert "= ANY (" in texts.pop()
    else:
        assert all(" IN (" in text for text in texts)
