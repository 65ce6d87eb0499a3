"""Tenants and the tenant-scoped session.

Two guards keep tenants apart. The application guard: a session opened for a tenant adds
``tenant_id = :tenant`` to every ORM query on a tenant-owned table, stamps new rows with the
tenant and refuses to flush a row of another tenant. The database guard (PostgreSQL):
row-level security, enabled and forced on every tenant table, reads the per-transaction
setting ``app.tenant_id`` that this session sets when its transaction begins. SQLite has no
RLS, so there the application guard is the only one, and the isolation tests run on both.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import Boolean, String, event, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import (
    Mapped,
    ORMExecuteState,
    Session,
    SessionTransaction,
    mapped_column,
    with_loader_criteria,
)

from tenantry.core.base import Base, TenantOwned, TenantScoped, Timestamped
from tenantry.core.ids import allocate_ids

TENANT_KEY = "tenant_id"
RLS_SETTING = "app.tenant_id"


class Tenant(Timestamped, Base):
    """One organisation: a PERSCOM organisation and a Percolate account at once."""

    __tablename__ = "tenants"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class CrossTenantWrite(RuntimeError):
    """A session tried to write a row that belongs to another tenant (a programming error)."""


def tenant_of(session: Session | AsyncSession) -> int | None:
    value = session.info.get(TENANT_KEY)
    return value if isinstance(value, int) else None


@asynccontextmanager
async def tenant_session(
    factory: async_sessionmaker[AsyncSession], tenant_id: int
) -> AsyncIterator[AsyncSession]:
    """A session bound to ``tenant_id`` inside one transaction (commit on success)."""
    async with factory(info={TENANT_KEY: tenant_id}) as session, session.begin():
        yield session


_SET_RLS = text("SELECT set_config(:name, :value, true)")
"""The transaction-local RLS setting; the one place outside migrations that writes it."""


async def enter_tenant(session: AsyncSession, tenant_id: int) -> None:
    """Scope an open session to ``tenant_id`` from now on (used right after creating a tenant)."""
    session.info[TENANT_KEY] = tenant_id
    if session.in_transaction():
        connection = await session.connection()
        if connection.dialect.name == "postgresql":
            await connection.execute(_SET_RLS, {"name": RLS_SETTING, "value": str(tenant_id)})


@event.listens_for(Session, "do_orm_execute")
def _filter_by_tenant(state: ORMExecuteState) -> None:
    tenant_id = state.session.info.get(TENANT_KEY)
    if tenant_id is None or state.is_column_load or state.is_relationship_load:
        return
    if state.is_select or state.is_update or state.is_delete:
        state.statement = state.statement.options(
            with_loader_criteria(
                TenantScoped,
                lambda cls: cls.tenant_id == tenant_id,
                include_aliases=True,
            )
        )


@event.listens_for(Session, "after_begin")
def _set_rls_tenant(session: Session, _tx: SessionTransaction, connection: Connection) -> None:
    tenant_id = session.info.get(TENANT_KEY)
    if tenant_id is not None and connection.dialect.name == "postgresql":
        connection.execute(_SET_RLS, {"name": RLS_SETTING, "value": str(tenant_id)})


@event.listens_for(Session, "before_flush")
def _stamp_and_guard(session: Session, _context: Any, _instances: Any) -> None:
    tenant_id = session.info.get(TENANT_KEY)
    if tenant_id is not None:
        for scoped in session.new:
            if isinstance(scoped, TenantScoped) and scoped.tenant_id is None:
                scoped.tenant_id = tenant_id
        for scoped in [*session.new, *session.dirty, *session.deleted]:
            if isinstance(scoped, TenantScoped) and scoped.tenant_id != tenant_id:
                raise CrossTenantWrite(f"{type(scoped).__name__} of tenant {scoped.tenant_id}")
    needing_ids: list[Tenant | TenantOwned] = [
        obj for obj in session.new if isinstance(obj, Tenant | TenantOwned) and obj.id is None
    ]
    if needing_ids:
        ids = allocate_ids(session.connection(), len(needing_ids))
        for obj, new_id in zip(needing_ids, ids, strict=True):
            obj.id = new_id


def tenant_tables() -> list[str]:
    """Names of every table that holds tenant-owned rows (RLS is applied to each)."""
    return sorted(
        mapper.local_table.name  # type: ignore[attr-defined]
        for mapper in Base.registry.mappers
        if issubclass(mapper.class_, TenantScoped)
    )


def rls_statements(table: str, app_role: str) -> list[str]:
    """DDL that enables and forces row-level security on ``table`` for the app role."""
    condition = f"tenant_id = NULLIF(current_setting('{RLS_SETTING}', true), '')::bigint"
    statements = [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"DROP POLICY IF EXISTS tenant_isolation ON {table}",
        f"CREATE POLICY tenant_isolation ON {table} USING ({condition}) WITH CHECK ({condition})",
    ]
    if app_role:
        statements.append(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {app_role}")
    return statements
