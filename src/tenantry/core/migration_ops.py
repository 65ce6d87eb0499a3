"""Operations that migrations share: the app role, its grants and row-level security.

Each is a no-op on SQLite, which has neither roles nor RLS.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from tenantry.core.base import UTCDateTime
from tenantry.core.ids import COUNTER_TABLE, SEQUENCE_NAME
from tenantry.core.tenancy import rls_statements


def _app_role() -> str:
    config = op.get_context().config
    return str(config.attributes.get("app_role", "") or "") if config is not None else ""


def _is_postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def create_id_allocator() -> None:
    if _is_postgres():
        op.execute(f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE_NAME}")
    else:
        op.execute(f"CREATE TABLE {COUNTER_TABLE} (name TEXT PRIMARY KEY, value INTEGER NOT NULL)")
        op.execute(f"INSERT INTO {COUNTER_TABLE} (name, value) VALUES ('global', 0)")


def drop_id_allocator() -> None:
    if _is_postgres():
        op.execute(f"DROP SEQUENCE IF EXISTS {SEQUENCE_NAME}")
    else:
        op.execute(f"DROP TABLE IF EXISTS {COUNTER_TABLE}")


def create_app_role() -> None:
    """The role the app SETs after connecting; RLS binds it, and it owns nothing."""
    role = _app_role()
    if not _is_postgres() or not role:
        return
    op.execute(
        f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') "
        f"THEN CREATE ROLE {role} NOLOGIN NOBYPASSRLS; END IF; END $$"
    )
    op.execute(f"GRANT {role} TO CURRENT_USER")
    op.execute(f"GRANT USAGE ON SCHEMA public TO {role}")
    op.execute(f"GRANT USAGE, SELECT ON SEQUENCE {SEQUENCE_NAME} TO {role}")


def grant_global_table(table: str) -> None:
    """A table without tenant rows (tenants, jobs, clients): the app may use all of it."""
    role = _app_role()
    if _is_postgres() and role:
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {role}")


def grant_read(table: str) -> None:
    """Let the app read (only read) a table, such as ``alembic_version`` for /readyz."""
    role = _app_role()
    if _is_postgres() and role:
        op.execute(f"GRANT SELECT ON {table} TO {role}")


def enable_tenant_rls(table: str) -> None:
    """Enable and force row-level security on a tenant table, keyed on ``app.tenant_id``."""
    if _is_postgres():
        for statement in rls_statements(table, _app_role()):
            op.execute(statement)


# Column sets that every tenant-owned table of a migration shares (the shape of TenantOwned).


def tenant_fk_constraint(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id"],
        ["tenants.id"],
        name=op.f(f"fk_{table}_tenant_id_tenants"),
        ondelete="CASCADE",
    )


def tenant_key(table: str) -> list[Any]:
    """``tenant_id`` + ``id`` with primary key ``(tenant_id, id)`` and the tenant foreign key."""
    return [
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        tenant_fk_constraint(table),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f(f"pk_{table}")),
    ]


def timestamps() -> list[Any]:
    return [
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
    ]


def tenant_ref(
    table: str, column: str, target: str, *, cascade: bool = True
) -> sa.ForeignKeyConstraint:
    """A composite foreign key ``(tenant_id, column) -> target(tenant_id, id)``."""
    return sa.ForeignKeyConstraint(
        ["tenant_id", column],
        [f"{target}.tenant_id", f"{target}.id"],
        name=op.f(f"fk_{table}_tenant_id_{column}_{target}"),
        ondelete="CASCADE" if cascade else None,
    )
