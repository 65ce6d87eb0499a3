"""The archive's table catalogue stays complete as tables and columns are added."""

from __future__ import annotations

import pytest
from sqlalchemy import Table

from tenantry.core.base import Base
from tenantry.core.portability import catalogue
from tenantry.core.portability.rewrite import IdMap, rewrite_row
from tenantry.models import Base as _registry  # noqa: F401

TABLES = catalogue.tenant_tables(Base.metadata)


@pytest.mark.parametrize("table", TABLES, ids=lambda table: table.name)
def test_every_integer_and_json_column_is_declared(table: Table) -> None:
    """A new polymorphic id, id list or counter must be declared in the catalogue, or an
    import would either leave a stale id or corrupt a plain number."""
    assert catalogue.undeclared_columns(table) == []


def test_declarations_name_real_columns() -> None:
    declared = [
        catalogue.ID_COLUMNS,
        catalogue.CLEARED_COLUMNS,
        catalogue.PLAIN_INTEGERS,
        catalogue.JSON_ID_LISTS,
        catalogue.PLAIN_JSON,
        catalogue.PATH_COLUMNS,
        catalogue.SECRET_COLUMNS,
    ]
    tables = Base.metadata.tables
    for mapping in declared:
        for table, columns in mapping.items():
            assert table in tables, table
            assert columns <= set(tables[table].c.keys()), (table, columns)


def test_no_travelling_table_points_into_a_skipped_one() -> None:
    skipped = catalogue.CREDENTIAL_TABLES | catalogue.INSTALLATION_TABLES
    travelling = {table.name for table in TABLES}
    for table in TABLES:
        for constraint in table.foreign_key_constraints:
            referred = constraint.referred_table.name
            assert referred in travelling | {"tenants"}, (table.name, referred)
            assert referred not in skipped


def test_credentials_and_jobs_stay_home() -> None:
    names = {table.name for table in TABLES}
    assert "users" in names and "percolate_posts" in names and "perscom_records_awards" in names
    assert not names & (catalogue.CREDENTIAL_TABLES | catalogue.INSTALLATION_TABLES)


def test_plain_values_are_not_taken_for_ids() -> None:
    """A schema version equal to an old id must survive: only id-holding keys are mapped."""
    versions = catalogue.plan(Base.metadata.tables["percolate_metadata"])
    assert "schema_id" in versions.id_columns
    assert "schema_version" not in versions.id_columns
    ids = IdMap(old_tenant=1, new_tenant=50)
    ids.add(7, 70)
    row = rewrite_row(
        versions,
        {
            "tenant_id": 1,
            "id": 7,
            "schema_id": 7,
            "schema_version": 1,
            "object_key": 7,
            "ext": {"photo": ["asset:7"], "note": "key 7", "at": "assets/1/7/a.jpg"},
        },
        ids,
    )
    assert row["tenant_id"] == 50
    assert row["schema_version"] == 1
    assert (row["id"], row["schema_id"], row["object_key"]) == (70, 70, 70)
    assert row["ext"] == {"photo": ["asset:70"], "note": "key 7", "at": "assets/50/70/a.jpg"}
