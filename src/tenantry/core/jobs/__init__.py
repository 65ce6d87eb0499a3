"""Background jobs: a transactional outbox table, handlers by kind, and workers.

Produce with :func:`enqueue` inside the transaction of the write that causes the job;
handle with ``@job_handlers.register("kind")``; run with :class:`Worker` (embedded in
``serve``) or :func:`run_worker` (``tenantry worker``).
"""

from tenantry.core.jobs.handlers import JobContext, JobHandler, JobHandlers, job_handlers
from tenantry.core.jobs.model import Job, JobState
from tenantry.core.jobs.queue import (
    Backoff,
    ClaimedJob,
    ReapResult,
    claim_jobs,
    enqueue,
    job_counts,
    mark_failed,
    mark_succeeded,
    purge_finished,
    reap_expired,
    release_jobs,
    renew_leases,
    schedule_once,
)
from tenantry.core.jobs.worker import (
    Worker,
    default_worker_id,
    import_job_modules,
    run_worker,
)

__all__ = [
    "Backoff",
    "ClaimedJob",
    "Job",
    "JobContext",
    "JobHandler",
    "JobHandlers",
    "JobState",
    "ReapResult",
    "Worker",
    "claim_jobs",
    "default_worker_id",
    "enqueue",
    "import_job_modules",
    "job_counts",
    "job_handlers",
    "mark_failed",
    "mark_succeeded",
    "purge_finished",
    "reap_expired",
    "release_jobs",
    "renew_leases",
    "run_worker",
    "schedule_once",
]
