"""The ``jobs`` table: the transactional outbox that background work is drawn from.

It is a global table (no row-level security): workers serve every tenant, and a job may
outlive the tenant it works for (a purge of a deleted tenant's files), so ``tenant_id`` is a
plain nullable column that records whom the job is for, deliberately without a foreign key.

Ids come from the one allocator (``tenantry.core.ids``) rather than an autoincrement column:
a ``BIGINT`` primary key does not autoincrement on SQLite, the app role already holds the
allocator's privileges on PostgreSQL, and an installation-wide unique id keeps a job
unambiguous in logs and in the rows its handler writes (handlers key their effects by it).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Index,
    Integer,
    String,
    Text,
    event,
    text,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from tenantry.core.base import Base, Timestamped, utcnow
from tenantry.core.ids import allocate_ids


class JobState(StrEnum):
    """Life of a job. A failed attempt that will be retried goes back to ``queued`` with a
    later ``run_at`` and ``last_error`` set, so the claim query looks at one state only."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    DEAD = "dead"


_STATES = ", ".join(f"'{state.value}'" for state in JobState)


class Job(Timestamped, Base):
    """One unit of background work, run at or after ``run_at`` by whichever worker claims it.

    While ``running``, the job is leased to ``lease_owner`` until ``lease_expires_at``; the
    worker renews the lease while the handler runs, and the reaper returns jobs whose lease
    expired (their worker died) to ``queued``. ``attempts`` counts claims, so the pair
    ``(id, attempts)`` names one claim and a stale worker cannot complete a re-claimed job.
    """

    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint(f"state IN ({_STATES})", name="state"),
        # The claim: due queued jobs in run_at order. Partial, so finished jobs cost nothing.
        Index(
            "ix_jobs_claim",
            "run_at",
            "id",
            postgresql_where=text("state = 'queued'"),
            sqlite_where=text("state = 'queued'"),
        ),
        # The reaper: running jobs by lease expiry.
        Index(
            "ix_jobs_lease",
            "lease_expires_at",
            postgresql_where=text("state = 'running'"),
            sqlite_where=text("state = 'running'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    tenant_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    state: Mapped[str] = mapped_column(String(20), default=JobState.QUEUED.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    run_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_owner: Mapped[str | None] = mapped_column(String(200), default=None)
    lease_expires_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True, default=None)


@event.listens_for(Session, "before_flush")
def _allocate_job_ids(session: Session, _context: Any, _instances: Any) -> None:
    """Give a ``Job`` added to a session directly (not through ``enqueue``) its id."""
    fresh = [obj for obj in session.new if isinstance(obj, Job) and obj.id is None]
    if fresh:
        for job, new_id in zip(fresh, allocate_ids(session.connection(), len(fresh)), strict=True):
            job.id = new_id
