"""Migration 0023 creates exactly the table the stored PERSCOM settings' model describes (its
row-level security is checked with every tenant table's in tests/core/test_migrations.py)."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.migrations.schema_diff import differences_in

from tenantry.perscom.stored_settings import PerscomSetting

pytestmark = pytest.mark.anyio


async def test_the_migrated_schema_matches_the_model(owner_engine: AsyncEngine) -> None:
    assert await differences_in(owner_engine, {PerscomSetting.__tablename__}) == []
