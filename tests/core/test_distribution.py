"""The schema is ready for Citus: every tenant table is distributed by tenant_id (co-located),
the installation tables are reference tables (the job queue stays on the coordinator), the
check finds what would break that, and ``tenantry citus-ddl`` prints the same, every time."""

from __future__ import annotations

import re

from sqlalchemy import BigInteger, Column, ForeignKeyConstraint, Integer, MetaData, String, Table
from typer.testing import CliRunner

import tenantry.models
from tenantry.cli import app
from tenantry.core.distribution import citus_statements, distribution_problems
from tenantry.core.tenancy import tenant_tables

METADATA = tenantry.models.Base.metadata
DISTRIBUTED = re.compile(
    r"^SELECT create_distributed_table\('(\w+)', 'tenant_id'(?:, colocate_with => '(\w+)')?\);$"
)
REFERENCE = re.compile(r"^SELECT create_reference_table\('(\w+)'\);$")


def test_every_tenant_table_is_distributed_and_the_rest_are_reference_tables() -> None:
    assert distribution_problems(METADATA) == []
    lines = citus_statements(METADATA)
    distributed = [m.groups() for line in lines if (m := DISTRIBUTED.match(line))]
    reference = [m.group(1) for line in lines if (m := REFERENCE.match(line))]
    assert sorted(name for name, _ in distributed) == tenant_tables()
    first = distributed[0][0]
    assert distributed[0][1] is None
    assert {colocated for _, colocated in distributed[1:]} == {first}
    installation = sorted(set(METADATA.tables) - set(tenant_tables()))
    assert "tenants" in reference and "jobs" not in reference
    assert sorted([*reference, "jobs"]) == installation
    assert all(line.startswith(("SELECT ", "-- ")) for line in lines)
    # A referenced table is created before the tables that reference it.
    order = [name for name, _ in distributed]
    for name in order:
        for constraint in METADATA.tables[name].foreign_key_constraints:
            target = constraint.referred_table.name
            if target in order:
                assert order.index(target) <= order.index(name), (name, target)


def test_the_command_prints_the_statements_the_same_every_time() -> None:
    runner = CliRunner()
    first = runner.invoke(app, ["citus-ddl"])
    second = runner.invoke(app, ["citus-ddl"])
    assert first.exit_code == 0, first.output
    assert first.stdout == second.stdout == "\n".join(citus_statements(METADATA)) + "\n"


def test_the_check_names_what_would_stop_distribution() -> None:
    metadata = MetaData()
    Table(
        "parents",
        metadata,
        Column("tenant_id", BigInteger, primary_key=True),
        Column("id", BigInteger, primary_key=True),
        Column("code", String(10), unique=True),
    )
    Table(
        "children",
        metadata,
        Column("tenant_id", BigInteger, primary_key=True),
        Column("id", BigInteger, primary_key=True),
        Column("parent_id", BigInteger),
        ForeignKeyConstraint(["parent_id", "id"], ["parents.id", "parents.tenant_id"]),
    )
    Table(
        "lookups",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("tenant_id", BigInteger),
        Column("parent_id", BigInteger),
        ForeignKeyConstraint(["tenant_id", "parent_id"], ["parents.tenant_id", "parents.id"]),
    )
    assert sorted(distribution_problems(metadata)) == [
        "children references parents without tenant_id",
        "lookups (not sharded) references parents",
        "parents has a unique key without it: code",
    ]
