"""Queue operations on the ``jobs`` table, each a function of the caller's session.

Every operation that changes a claimed job names the claim it acts for: the worker id and
the attempt number. A worker whose lease was taken over (it stalled, the reaper requeued
the job, another worker claimed it) therefore changes nothing: its update matches no row.

Times come from the caller (``now``) so tests and workers share one clock; the database
clock is never consulted, which keeps SQLite and PostgreSQL behaving alike.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple, cast

from sqlalchemy import delete, func, insert, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from tenantry.core.base import utcnow
from tenantry.core.ids import allocate_ids
from tenantry.core.jobs.model import Job, JobState

MAX_ERROR_CHARS = 8000


@dataclass(frozen=True, slots=True)
class ClaimedJob:
    """What a worker needs to run one claim of a job (a snapshot, not a live ORM row)."""

    id: int
    kind: str
    payload: dict[str, Any]
    tenant_id: int | None
    attempt: int
    max_attempts: int

    @property
    def is_last_attempt(self) -> bool:
        return self.attempt >= self.max_attempts


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential backoff with full jitter: a retry waits ``uniform(0, min(cap, base·2ⁿ⁻¹))``.

    Full jitter spreads the retries of jobs that failed together (an outage) instead of
    bringing them back in lockstep.
    """

    base: float = 1.0
    cap: float = 300.0

    def delay(self, attempt: int, rng: Callable[[], float] = random.random) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        ceiling = min(self.cap, self.base * 2.0 ** min(max(attempt - 1, 0), 60))
        return rng() * ceiling


class ReapResult(NamedTuple):
    requeued: int
    buried: int


def _row(
    job_id: int,
    kind: str,
    payload: dict[str, Any],
    tenant_id: int | None,
    run_at: datetime | None,
    max_attempts: int,
    dedupe_key: str | None,
) -> dict[str, Any]:
    now = utcnow()
    return {
        "id": job_id,
        "kind": kind,
        "payload": payload,
        "tenant_id": tenant_id,
        "state": JobState.QUEUED.value,
        "attempts": 0,
        "max_attempts": max_attempts,
        "run_at": run_at or now,
        "dedupe_key": dedupe_key,
        "created_at": now,
        "updated_at": now,
    }


def schedule_once(
    connection: Connection,
    kind: str,
    payload: dict[str, Any],
    *,
    tenant_id: int | None,
    run_at: datetime,
    dedupe_key: str,
) -> None:
    """:func:`enqueue` with a ``dedupe_key``, for sync code inside a transaction (session
    events): nothing happens when the key is already taken."""
    (job_id,) = allocate_ids(connection, 1)
    values = _row(job_id, kind, payload, tenant_id, run_at, 5, dedupe_key)
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    connection.execute(
        dialect.insert(Job).values(values).on_conflict_do_nothing(index_elements=[Job.dedupe_key])
    )


async def enqueue(
    session: AsyncSession,
    kind: str,
    payload: dict[str, Any],
    *,
    tenant_id: int | None = None,
    run_at: datetime | None = None,
    max_attempts: int = 5,
    dedupe_key: str | None = None,
) -> Job:
    """Insert a job in the caller's transaction (the transactional outbox).

    The job exists only if the caller commits, so a job is never lost after a committed
    write nor run for a write that rolled back. With ``dedupe_key``, enqueueing again with
    the same key returns the existing job instead (the key stays taken until that job is
    purged), so a producer that may run twice enqueues once.
    """
    if not kind or len(kind) > 100:
        raise ValueError("job kind must be 1 to 100 characters")
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
    if run_at is not None and run_at.tzinfo is None:
        raise ValueError("run_at must be timezone-aware (UTC)")
    connection = await session.connection()
    (job_id,) = await connection.run_sync(allocate_ids, 1)
    values = _row(job_id, kind, payload, tenant_id, run_at, max_attempts, dedupe_key)
    if dedupe_key is None:
        return (await session.scalars(insert(Job).values(values).returning(Job))).one()
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(Job)
        .values(values)
        .on_conflict_do_nothing(index_elements=[Job.dedupe_key])
        .returning(Job)
    )
    job = (await session.scalars(statement)).one_or_none()
    if job is None:
        job = (await session.scalars(select(Job).where(Job.dedupe_key == dedupe_key))).one()
    return job


async def claim_jobs(
    session: AsyncSession,
    *,
    worker_id: str,
    limit: int,
    lease_seconds: float,
    now: datetime | None = None,
) -> list[ClaimedJob]:
    """Lease up to ``limit`` due jobs to ``worker_id`` in one statement.

    PostgreSQL: the inner ``SELECT ... FOR UPDATE SKIP LOCKED`` lets concurrent workers
    claim disjoint batches without waiting on each other. SQLite ignores the locking
    clause, and needs none: it runs one writer at a time, so the single
    ``UPDATE ... WHERE id IN (SELECT ... LIMIT n) RETURNING`` is atomic.
    """
    if limit < 1:
        return []
    now = now or utcnow()
    due = (
        select(Job.id)
        .where(Job.state == JobState.QUEUED.value, Job.run_at <= now)
        .order_by(Job.run_at, Job.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    statement = (
        update(Job)
        .where(Job.id.in_(due.scalar_subquery()))
        .values(
            state=JobState.RUNNING.value,
            lease_owner=worker_id,
            lease_expires_at=now + timedelta(seconds=lease_seconds),
            attempts=Job.attempts + 1,
            updated_at=now,
        )
        .returning(Job.id, Job.kind, Job.payload, Job.tenant_id, Job.attempts, Job.max_attempts)
        .execution_options(synchronize_session=False)
    )
    rows = (await session.execute(statement)).all()
    claimed = [
        ClaimedJob(
            id=row.id,
            kind=row.kind,
            payload=row.payload if isinstance(row.payload, dict) else {},
            tenant_id=row.tenant_id,
            attempt=row.attempts,
            max_attempts=row.max_attempts,
        )
        for row in rows
    ]
    return sorted(claimed, key=lambda job: job.id)


def _held_by(job: ClaimedJob, worker_id: str) -> Any:
    """The claim is still ours: nobody reaped, re-claimed or finished the job meanwhile."""
    return (
        (Job.id == job.id)
        & (Job.state == JobState.RUNNING.value)
        & (Job.lease_owner == worker_id)
        & (Job.attempts == job.attempt)
    )


async def _update_held(
    session: AsyncSession, job: ClaimedJob, worker_id: str, **values: Any
) -> bool:
    statement = (
        update(Job)
        .where(_held_by(job, worker_id))
        .values(**values)
        .returning(Job.id)
        .execution_options(synchronize_session=False)
    )
    return (await session.execute(statement)).first() is not None


async def mark_succeeded(
    session: AsyncSession, job: ClaimedJob, worker_id: str, *, now: datetime | None = None
) -> bool:
    """Complete the claim; ``False`` if the lease was lost (the caller must roll back).

    Run it in the handler's own transaction: the handler's writes and the completion
    commit together or not at all, which is what makes a database effect exactly-once.
    """
    now = now or utcnow()
    return await _update_held(
        session,
        job,
        worker_id,
        state=JobState.SUCCEEDED.value,
        finished_at=now,
        updated_at=now,
        lease_owner=None,
        lease_expires_at=None,
    )


async def mark_failed(
    session: AsyncSession,
    job: ClaimedJob,
    worker_id: str,
    error: str,
    *,
    retry_at: datetime | None,
    now: datetime | None = None,
) -> JobState | None:
    """Record a failed attempt: back to ``queued`` until ``retry_at``, or ``dead`` when
    ``retry_at`` is None. Returns the new state, or None if the lease was lost."""
    now = now or utcnow()
    error = error[-MAX_ERROR_CHARS:]
    common: dict[str, Any] = {
        "last_error": error,
        "updated_at": now,
        "lease_owner": None,
        "lease_expires_at": None,
    }
    if retry_at is None:
        state = JobState.DEAD
        changed = await _update_held(
            session, job, worker_id, state=state.value, finished_at=now, **common
        )
    else:
        state = JobState.QUEUED
        changed = await _update_held(
            session, job, worker_id, state=state.value, run_at=retry_at, **common
        )
    return state if changed else None


async def release_jobs(
    session: AsyncSession,
    worker_id: str,
    jobs: Collection[ClaimedJob],
    *,
    now: datetime | None = None,
) -> int:
    """Give claims back without counting them as attempts (graceful stop).

    Used for jobs claimed but never started, and for in-flight jobs interrupted after the
    grace period: their handler transaction was rolled back, so the attempt had no effect.
    """
    now = now or utcnow()
    released = 0
    for job in jobs:
        released += await _update_held(
            session,
            job,
            worker_id,
            state=JobState.QUEUED.value,
            attempts=Job.attempts - 1,
            lease_owner=None,
            lease_expires_at=None,
            updated_at=now,
        )
    return released


async def renew_leases(
    session: AsyncSession,
    worker_id: str,
    job_ids: Collection[int],
    *,
    lease_seconds: float,
    now: datetime | None = None,
) -> set[int]:
    """Extend the leases this worker still holds; returns the ids it still holds.

    A worker heartbeats its running jobs, so a lease can be short (a crash is noticed
    quickly) while a job runs as long as it needs.
    """
    if not job_ids:
        return set()
    now = now or utcnow()
    statement = (
        update(Job)
        .where(
            Job.id.in_(list(job_ids)),
            Job.state == JobState.RUNNING.value,
            Job.lease_owner == worker_id,
        )
        .values(lease_expires_at=now + timedelta(seconds=lease_seconds), updated_at=now)
        .returning(Job.id)
        .execution_options(synchronize_session=False)
    )
    return set((await session.scalars(statement)).all())


async def reap_expired(session: AsyncSession, *, now: datetime | None = None) -> ReapResult:
    """Recover jobs whose worker stopped renewing its lease (it crashed or hung).

    They go back to ``queued`` and keep their attempt count; a job whose lease expired on
    its last attempt goes ``dead`` instead, so a job that kills its worker every time (a
    poison pill) cannot cycle forever.
    """
    now = now or utcnow()
    expired = (
        (Job.state == JobState.RUNNING.value)
        & (Job.lease_expires_at.is_not(None))
        & (Job.lease_expires_at < now)
    )
    message = literal("lease expired: worker ") + func.coalesce(Job.lease_owner, "?")
    results: list[int] = []
    for out_of_attempts, values in (
        (True, {"state": JobState.DEAD.value, "finished_at": now}),
        (False, {"state": JobState.QUEUED.value}),
    ):
        condition = (
            Job.attempts >= Job.max_attempts if out_of_attempts else Job.attempts < Job.max_attempts
        )
        statement = (
            update(Job)
            .where(expired & condition)
            .values(
                last_error=message + literal(" presumed lost"),
                lease_owner=None,
                lease_expires_at=None,
                updated_at=now,
                **values,
            )
            .returning(Job.id)
            .execution_options(synchronize_session=False)
        )
        results.append(len((await session.scalars(statement)).all()))
    buried, requeued = results
    return ReapResult(requeued=requeued, buried=buried)


async def purge_finished(session: AsyncSession, *, before: datetime) -> int:
    """Delete succeeded jobs finished before ``before`` (dead jobs stay for inspection).

    Purging also frees their ``dedupe_key``s.
    """
    statement = (
        delete(Job)
        .where(Job.state == JobState.SUCCEEDED.value, Job.finished_at < before)
        .execution_options(synchronize_session=False)
    )
    result = cast(CursorResult[Any], await session.execute(statement))
    return result.rowcount


async def job_counts(session: AsyncSession) -> dict[str, int]:
    """Number of jobs in each state (every state present, zero included), for /metrics."""
    counts = {state.value: 0 for state in JobState}
    rows = await session.execute(select(Job.state, func.count()).group_by(Job.state))
    for state, count in rows:
        counts[state] = int(count)
    return counts
