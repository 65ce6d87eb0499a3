"""Pruning old entries without breaking the chain: a checkpoint names what was cut.

The entries older than the retention go; a ``checkpoint`` entry, appended at the head like any
other, records the ``seq`` and hash of the last one removed. Verification anchors the first
remaining entry on it, and the checkpoint is itself chained, so it cannot be forged either.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession

from tenantry.core.audit.actor import actor_of
from tenantry.core.audit.chain import append
from tenantry.core.audit.models import AuditEntry
from tenantry.core.base import utcnow
from tenantry.core.jobs import JobContext, job_handlers, schedule_once

__all__ = ["PRUNE_JOB", "prune", "run_prune", "schedule_prune"]

PRUNE_JOB = "core.audit.prune"


async def prune(session: AsyncSession, tenant_id: int, before: datetime) -> int:
    """Remove ``tenant_id``'s entries older than ``before`` behind a checkpoint; how many."""
    last = (
        await session.execute(
            select(func.max(AuditEntry.seq)).where(
                AuditEntry.tenant_id == tenant_id, AuditEntry.at < before
            )
        )
    ).scalar_one()
    if last is None:
        return 0
    anchor = (
        await session.execute(
            select(AuditEntry.hash).where(AuditEntry.tenant_id == tenant_id, AuditEntry.seq == last)
        )
    ).scalar_one()
    removed = await session.execute(
        delete(AuditEntry)
        .where(AuditEntry.tenant_id == tenant_id, AuditEntry.seq <= last)
        .execution_options(synchronize_session=False)
    )
    count = int(getattr(removed, "rowcount", 0) or 0)
    fields: dict[str, Any] = {
        "action": "checkpoint",
        "resource_type": "audit_entries",
        "resource_id": None,
        "changes": {
            "pruned_through_seq": [None, int(last)],
            "pruned_through_hash": [None, anchor],
            "pruned_count": [None, count],
        },
        "related": [],
    }
    await session.run_sync(
        lambda sync: append(sync.connection(), tenant_id, actor_of(sync), fields)
    )
    return count


_scheduled: set[tuple[int, date]] = set()
"""(tenant, day) pairs this process already scheduled: the insert is skipped, not retried."""


def schedule_prune(conn: Connection, tenant_id: int, retention_days: int) -> None:
    """The tenant's prune for the coming midnight (UTC), once a day whatever the writers."""
    midnight = datetime.combine(utcnow().date() + timedelta(days=1), time(0), tzinfo=UTC)
    if (tenant_id, midnight.date()) in _scheduled:
        return
    schedule_once(
        conn,
        PRUNE_JOB,
        {"retention_days": retention_days},
        tenant_id=tenant_id,
        run_at=midnight,
        dedupe_key=f"{PRUNE_JOB}:{tenant_id}:{midnight.date().isoformat()}",
    )
    _scheduled.add((tenant_id, midnight.date()))


@job_handlers.register(PRUNE_JOB)
async def run_prune(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Prune one tenant's log to ``retention_days`` (see ``Settings.audit_retention_days``)."""
    if ctx.tenant_id is None:
        raise ValueError("an audit prune job must belong to a tenant")
    days = int(payload["retention_days"])
    await prune(ctx.session, ctx.tenant_id, utcnow() - timedelta(days=days))
