"""Migration 0004 creates exactly the tables the models describe (their row-level security is
checked with every tenant table's in tests/core/test_migrations.py)."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.migrations.schema_diff import differences_in

from tenantry.core.identity.models import RecoveryCode, TwoFactor
from tenantry.percolate.oauth import models as oauth_models
from tenantry.percolate.oauth.apikeys import ApiKey

pytestmark = pytest.mark.anyio

OURS = {
    model.__tablename__
    for model in (
        ApiKey,
        *(getattr(oauth_models, name) for name in oauth_models.__all__),
        TwoFactor,
        RecoveryCode,
    )
}


async def test_the_migrated_schema_matches_the_models(owner_engine: AsyncEngine) -> None:
    assert await differences_in(owner_engine, OURS) == []
