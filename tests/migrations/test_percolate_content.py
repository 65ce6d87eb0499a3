"""The Percolate migrations create exactly the tables of every Percolate model (their row-level
security is checked with every tenant table's in tests/core/test_migrations.py)."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.migrations.schema_diff import differences_in

from tenantry.percolate import models as content_models

pytestmark = pytest.mark.anyio

OURS = {getattr(content_models, name).__tablename__ for name in content_models.__all__}


async def test_the_migrated_tables_match_the_models(owner_engine: AsyncEngine) -> None:
    assert await differences_in(owner_engine, OURS) == []
