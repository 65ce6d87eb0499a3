"""``TENANTRY_AUDIT_RETENTION_DAYS``: a tenant's first write of the day schedules its daily
prune job (once), and the job prunes behind a checkpoint that still verifies."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from tests.helpers import TenantFactory

from tenantry.core.audit.chain import verify
from tenantry.core.audit.retention import PRUNE_JOB, prune
from tenantry.core.base import utcnow
from tenantry.core.db import create_engine, session_factory
from tenantry.core.identity import service as identity
from tenantry.core.jobs import Job
from tenantry.core.tenancy import tenant_session
from tenantry.settings import Settings

pytestmark = pytest.mark.anyio


async def test_retention_schedules_one_prune_per_tenant_and_day(
    settings: Settings, migrated: None, make_tenant: TenantFactory
) -> None:
    tenant_id = await make_tenant()
    engine = create_engine(settings.model_copy(update={"audit_retention_days": 30}))
    sessions = session_factory(engine)
    try:
        for name in ("One", "Two"):
            async with tenant_session(sessions, tenant_id) as session:
                await identity.create_user(session, email=f"{name}@example.org", name=name)
        async with sessions() as session:
            jobs = list(
                await session.scalars(
                    select(Job).where(Job.kind == PRUNE_JOB, Job.tenant_id == tenant_id)
                )
            )
        assert len(jobs) == 1
        assert jobs[0].payload == {"retention_days": 30}
        assert jobs[0].run_at > utcnow()
        async with tenant_session(sessions, tenant_id) as session:
            assert await prune(session, tenant_id, utcnow() + timedelta(seconds=1)) >= 2
        async with tenant_session(sessions, tenant_id) as session:
            assert (await verify(session, tenant_id))[1] == []
    finally:
        await engine.dispose()
