"""Writing the API log off the request path: entries are buffered and stored in batches.

One insert transaction per request would double the cost of a read; one transaction a
second holding every tenant's batch (each under its own row-level security setting) costs
one. The price: entries still buffered when a process is killed are lost (a graceful
shutdown flushes them). The first flush of a tenant each day also schedules its daily
prune job (deduplicated in the queue as well).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tenantry.core.base import utcnow
from tenantry.core.bulk import insert_rows
from tenantry.core.ids import allocate_ids
from tenantry.core.jobs import enqueue
from tenantry.core.tenancy import enter_tenant, tenant_session
from tenantry.perscom.activity.models import ApiActivity

__all__ = ["PRUNE_JOB", "ActivityWriter", "schedule_prune"]

logger = structlog.get_logger(__name__)

PRUNE_JOB = "perscom.activity.prune"


async def schedule_prune(session: AsyncSession, tenant_id: int, retention_days: int) -> None:
    """The tenant's prune job for the coming midnight (UTC), once whatever the callers."""
    midnight = datetime.combine(utcnow().date() + timedelta(days=1), time(0), tzinfo=UTC)
    await enqueue(
        session,
        PRUNE_JOB,
        {"retention_days": retention_days},
        tenant_id=tenant_id,
        run_at=midnight,
        dedupe_key=f"{PRUNE_JOB}:{tenant_id}:{midnight.date().isoformat()}",
    )


class ActivityWriter:
    """Buffers entries and stores them per tenant, at most ``delay`` seconds later.

    One task stores them: it waits up to ``delay`` (or until ``max_pending`` entries are
    waiting), stores everything buffered, and goes on while more has arrived. Under a load
    that fills the buffer faster than a flush takes, flushes run back to back and each takes
    all that came meanwhile, rather than queueing one flush per entry past the limit.
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        retention_days: int,
        delay: float = 1.0,
        max_pending: int = 2000,
    ) -> None:
        self.sessions = sessions
        self.retention_days = retention_days
        self.delay = delay
        self.max_pending = max_pending
        self._pending: list[tuple[int, dict[str, Any]]] = []
        self._storer: asyncio.Task[None] | None = None
        self._full = asyncio.Event()
        self._lock = asyncio.Lock()
        self._prune_scheduled: set[tuple[int, date]] = set()

    def add(self, tenant_id: int, values: dict[str, Any]) -> None:
        self._pending.append((tenant_id, values))
        if len(self._pending) >= self.max_pending:
            self._full.set()
        if self._storer is None or self._storer.done():
            self._storer = asyncio.get_running_loop().create_task(self._store_while_pending())

    async def _store_while_pending(self) -> None:
        while self._pending:
            if len(self._pending) < self.max_pending:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.delay):
                        await self._full.wait()
            self._full.clear()
            # Shielded: closing cancels a waiting storer, never a flush half-way.
            await asyncio.shield(self.flush())

    async def flush(self) -> int:
        """Store everything buffered now; how many entries were stored. A failing tenant's
        entries are dropped with a log line: the log never fails a request."""
        async with self._lock:
            taken, self._pending = self._pending, []
            if not taken:
                return 0
            by_tenant: dict[int, list[dict[str, Any]]] = defaultdict(list)
            for tenant_id, values in taken:
                by_tenant[tenant_id].append(values)
            try:
                stored = await self._store_together(by_tenant)
            except Exception:  # one tenant's rows failed (a tenant deleted meanwhile, say)
                stored = await self._store_each(by_tenant)
            await self._schedule_prunes(list(by_tenant))
            return stored

    async def _store_together(self, by_tenant: dict[int, list[dict[str, Any]]]) -> int:
        """Every tenant's entries in one transaction: one id allocation, then each tenant's
        rows as one insert under that tenant's row-level security setting."""
        async with self.sessions() as session, session.begin():
            connection = await session.connection()
            total = sum(len(entries) for entries in by_tenant.values())
            ids = iter(await connection.run_sync(allocate_ids, total))
            for tenant_id, entries in by_tenant.items():
                await enter_tenant(session, tenant_id)
                await _insert(session, tenant_id, entries, ids)
        return total

    async def _store_each(self, by_tenant: dict[int, list[dict[str, Any]]]) -> int:
        stored = 0
        for tenant_id, entries in by_tenant.items():
            try:
                stored += await self._store_together({tenant_id: entries})
            except Exception:  # a deleted tenant, a lost connection: drop, never raise
                logger.exception("api log dropped", tenant=tenant_id, count=len(entries))
        return stored

    async def _schedule_prunes(self, tenant_ids: list[int]) -> None:
        """Each tenant's daily prune job, the first time it logs anything each day."""
        today = utcnow().date()
        for tenant_id in tenant_ids:
            if (tenant_id, today) in self._prune_scheduled:
                continue
            try:
                async with tenant_session(self.sessions, tenant_id) as session:
                    await schedule_prune(session, tenant_id, self.retention_days)
                self._prune_scheduled.add((tenant_id, today))
            except Exception:  # tried again with the tenant's next entries
                logger.exception("api log prune not scheduled", tenant=tenant_id)

    async def close(self) -> None:
        if self._storer is not None and not self._storer.done():
            self._storer.cancel()
        await self.flush()


async def _insert(
    session: AsyncSession, tenant_id: int, entries: list[dict[str, Any]], ids: Iterator[int]
) -> None:
    """One multi-row insert: the log is written in bulk, without the unit of work's
    per-object bookkeeping (the table is not audited, so nothing else watches the rows)."""
    now = utcnow()
    rows = [
        {**values, "tenant_id": tenant_id, "id": next(ids), "created_at": now, "updated_at": now}
        for values in entries
    ]
    await insert_rows(session, ApiActivity, rows)
