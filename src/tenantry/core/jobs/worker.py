"""The worker: claims due jobs, runs their handlers, retries, reaps and stops gracefully.

The same ``Worker`` runs embedded (an asyncio task inside ``tenantry serve``) or alone
(``tenantry worker`` → :func:`run_worker`); any number may share one database.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import random
import secrets
import signal
import socket
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from tenantry.core.base import utcnow
from tenantry.core.db import create_engine, create_replica_engine, session_factory
from tenantry.core.jobs.handlers import JobContext, JobHandlers, job_handlers
from tenantry.core.jobs.model import JobState
from tenantry.core.jobs.queue import (
    Backoff,
    ClaimedJob,
    claim_jobs,
    mark_failed,
    mark_succeeded,
    purge_finished,
    reap_expired,
    release_jobs,
    renew_leases,
)
from tenantry.core.tenancy import TENANT_KEY
from tenantry.settings import Settings

logger = structlog.get_logger(__name__)

BUILTIN_JOB_MODULES: tuple[str, ...] = (
    "tenantry.core.mail_jobs",
    "tenantry.core.webhooks.delivery",
    "tenantry.core.audit.retention",
    "tenantry.core.analyze_jobs",
)
"""Modules that register the platform's own handlers; imported by every worker."""

PURGE_INTERVAL_SECONDS = 3600.0


class LeaseLost(RuntimeError):
    """The job was taken over while this worker ran it; its transaction is rolled back."""


def default_worker_id() -> str:
    """Unique per process and readable in ``jobs.lease_owner``: host, pid and a nonce."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def describe_error(exc: BaseException) -> str:
    """The traceback, for ``jobs.last_error`` (the tail is kept if it is long)."""
    return "".join(traceback.format_exception(exc)).strip()


class Worker:
    """Runs jobs from the ``jobs`` table until told to stop.

    Each loop: reap expired leases (periodically), renew the leases of running jobs (every
    third of a lease), claim as many due jobs as there are free slots, start them. A
    handler runs inside a transaction that also completes the job (see ``JobContext``); on
    failure the job is retried after a jittered exponential backoff, and buried (``dead``)
    after ``max_attempts``. A kind without a handler is buried at once.
    """

    def __init__(
        self,
        settings: Settings,
        database: AsyncEngine | async_sessionmaker[AsyncSession],
        handlers: JobHandlers | None = None,
        worker_id: str | None = None,
        *,
        concurrency: int | None = None,
        lease_seconds: float | None = None,
        poll_interval: float | None = None,
        grace_period: float | None = None,
        backoff: Backoff | None = None,
        reap_interval: float | None = None,
        retention: timedelta | None = None,
        clock: Callable[[], datetime] = utcnow,
        rng: Callable[[], float] = random.random,
        replica: async_sessionmaker[AsyncSession] | None = None,
    ) -> None:
        self.settings = settings
        self.replica_session_factory = replica
        self.session_factory = (
            session_factory(database) if isinstance(database, AsyncEngine) else database
        )
        self.handlers = handlers if handlers is not None else job_handlers
        self.worker_id = worker_id or default_worker_id()
        self.concurrency = concurrency or settings.worker_concurrency
        self.lease_seconds = float(lease_seconds or settings.job_lease_seconds)
        self.poll_interval = poll_interval or settings.job_poll_interval
        self.grace_period = (
            grace_period if grace_period is not None else settings.job_shutdown_grace_seconds
        )
        self.backoff = backoff or Backoff(
            base=settings.job_backoff_base,
            cap=settings.job_backoff_cap,
        )
        self.reap_interval = reap_interval or max(self.poll_interval, self.lease_seconds / 2)
        if retention is None:
            retention = timedelta(days=settings.job_retention_days)
        self.retention = retention if retention > timedelta(0) else None
        self.clock = clock
        self.rng = rng
        self._wake = asyncio.Event()
        self._abandon = asyncio.Event()

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        database: AsyncEngine | async_sessionmaker[AsyncSession],
        replica: async_sessionmaker[AsyncSession] | None = None,
    ) -> Worker:
        """The worker ``serve`` embeds and ``tenantry worker`` runs: the default registry."""
        return cls(settings, database, job_handlers, replica=replica)

    def abandon_in_flight(self) -> None:
        """Cut the grace period short (a second SIGINT): interrupt running jobs now."""
        self._abandon.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Work until ``stop`` is set, then drain: no new claims, running jobs get the
        grace period, and whatever is left is released back to ``queued``."""
        loop = asyncio.get_running_loop()
        running: dict[asyncio.Task[None], ClaimedJob] = {}
        next_reap = next_renew = next_purge = loop.time()
        logger.info("job worker started", worker_id=self.worker_id, concurrency=self.concurrency)
        try:
            while not stop.is_set():
                self._wake.clear()
                now = loop.time()
                claimed: list[ClaimedJob] = []
                free = self.concurrency - len(running)
                try:
                    if now >= next_reap:
                        next_reap = now + self.reap_interval
                        await self._reap()
                    if now >= next_renew:
                        next_renew = now + self.lease_seconds / 3
                        await self._renew(running.values())
                    if self.retention is not None and now >= next_purge:
                        next_purge = now + PURGE_INTERVAL_SECONDS
                        await self._purge(self.retention)
                    if free > 0:
                        claimed = await self._claim(free)
                except Exception:
                    logger.exception(
                        "job worker database error, retrying", worker_id=self.worker_id
                    )
                if stop.is_set() and claimed:
                    try:
                        await self._release(claimed)  # claimed, never started
                    except Exception:
                        logger.exception("job worker could not release its claims")
                    break
                for job in claimed:
                    task = asyncio.create_task(self._execute(job), name=f"job-{job.id}")
                    running[task] = job
                    task.add_done_callback(lambda done: self._finished(running, done))
                if free > 0 and len(claimed) == free:
                    continue  # more may be due: claim again before sleeping
                await self._pause(stop, self.poll_interval)
        finally:
            await self._drain(running)
            logger.info("job worker stopped", worker_id=self.worker_id)

    def _finished(
        self, running: dict[asyncio.Task[None], ClaimedJob], task: asyncio.Task[None]
    ) -> None:
        running.pop(task, None)
        self._wake.set()
        if not task.cancelled() and (exc := task.exception()) is not None:
            logger.error("job task crashed", task=task.get_name(), exc_info=exc)

    async def _pause(self, stop: asyncio.Event, seconds: float) -> None:
        """Sleep until the poll interval passes, a slot frees up, or ``stop`` is set."""
        waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._wake.wait())]
        try:
            await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

    async def _drain(self, running: dict[asyncio.Task[None], ClaimedJob]) -> None:
        if not running:
            return
        jobs = dict(running)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.grace_period
        abandon = asyncio.ensure_future(self._abandon.wait())
        try:
            pending = set(jobs)
            while pending and not abandon.done() and (left := deadline - loop.time()) > 0:
                await asyncio.wait(
                    [*pending, abandon], timeout=left, return_when=asyncio.FIRST_COMPLETED
                )
                pending = {task for task in pending if not task.done()}
        finally:
            abandon.cancel()
        # Tasks that outlived the grace period are interrupted and their claims released.
        late = [task for task in jobs if not task.done()]
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)
        if late:
            logger.warning(
                "job worker interrupted running jobs at stop",
                worker_id=self.worker_id,
                job_ids=sorted(jobs[task].id for task in late),
            )
            try:
                await self._release([jobs[task] for task in late])
            except Exception:
                logger.exception(
                    "job worker could not release its claims", worker_id=self.worker_id
                )

    async def _claim(self, limit: int) -> list[ClaimedJob]:
        async with self.session_factory() as session, session.begin():
            return await claim_jobs(
                session,
                worker_id=self.worker_id,
                limit=limit,
                lease_seconds=self.lease_seconds,
                now=self.clock(),
            )

    async def _release(self, jobs: list[ClaimedJob]) -> None:
        async with self.session_factory() as session, session.begin():
            await release_jobs(session, self.worker_id, jobs, now=self.clock())

    async def _renew(self, jobs: Iterable[ClaimedJob]) -> None:
        ids = {job.id for job in jobs}
        if not ids:
            return
        async with self.session_factory() as session, session.begin():
            held = await renew_leases(
                session, self.worker_id, ids, lease_seconds=self.lease_seconds, now=self.clock()
            )
        if lost := ids - held:
            logger.warning("job leases lost", worker_id=self.worker_id, job_ids=sorted(lost))

    async def _reap(self) -> None:
        async with self.session_factory() as session, session.begin():
            result = await reap_expired(session, now=self.clock())
        if result.requeued or result.buried:
            logger.warning(
                "reaped expired job leases", requeued=result.requeued, buried=result.buried
            )

    async def _purge(self, retention: timedelta) -> None:
        async with self.session_factory() as session, session.begin():
            await purge_finished(session, before=self.clock() - retention)

    def _job_session(self, job: ClaimedJob) -> AsyncSession:
        if job.tenant_id is None:
            return self.session_factory()
        return self.session_factory(info={TENANT_KEY: job.tenant_id})

    async def _execute(self, job: ClaimedJob) -> None:
        """One attempt: the handler and the completion in one transaction."""
        with structlog.contextvars.bound_contextvars(
            job_id=job.id, job_kind=job.kind, job_attempt=job.attempt, tenant_id=job.tenant_id
        ):
            handler = self.handlers.get(job.kind)
            if handler is None:
                error = f"no handler registered for job kind {job.kind!r}"
                await self._fail(job, error, retry=False)
                return
            started = time.perf_counter()
            try:
                async with self._job_session(job) as session, session.begin():
                    context = JobContext(
                        job_id=job.id,
                        kind=job.kind,
                        worker_id=self.worker_id,
                        attempt=job.attempt,
                        max_attempts=job.max_attempts,
                        tenant_id=job.tenant_id,
                        settings=self.settings,
                        session_factory=self.session_factory,
                        session=session,
                        replica_session_factory=self.replica_session_factory,
                    )
                    await handler(context, job.payload)
                    if not await mark_succeeded(session, job, self.worker_id, now=self.clock()):
                        raise LeaseLost(f"job {job.id} attempt {job.attempt}")
            except LeaseLost:
                logger.warning("job lease lost, its effects rolled back")
            except Exception as exc:
                await self._fail(job, describe_error(exc), retry=not job.is_last_attempt)
            else:
                elapsed = round((time.perf_counter() - started) * 1000, 1)
                logger.info("job succeeded", duration_ms=elapsed)

    async def _fail(self, job: ClaimedJob, error: str, *, retry: bool) -> None:
        now = self.clock()
        delay = self.backoff.delay(job.attempt, self.rng) if retry else None
        retry_at = now + timedelta(seconds=delay) if delay is not None else None
        try:
            async with self.session_factory() as session, session.begin():
                state = await mark_failed(
                    session, job, self.worker_id, error, retry_at=retry_at, now=now
                )
        except Exception:
            # The lease will expire and the reaper will requeue the job.
            logger.exception("job failure could not be recorded")
            return
        summary = error.strip().splitlines()[-1] if error.strip() else error
        if state is JobState.DEAD:
            logger.error("job dead", error=summary, attempts=job.attempt)
        elif state is JobState.QUEUED:
            logger.warning("job failed, will retry", error=summary, retry_in_s=round(delay or 0, 3))


def import_job_modules(settings: Settings, extra: Sequence[str] = ()) -> None:
    """Import the modules whose import registers handlers: the core's, the faces' (``extra``)
    and any configured ones."""
    for name in (*BUILTIN_JOB_MODULES, *extra, *settings.job_modules):
        importlib.import_module(name)


async def run_worker(
    settings: Settings,
    stop: asyncio.Event | None = None,
    *,
    install_signal_handlers: bool = True,
    modules: Sequence[str] = (),
) -> None:
    """Run jobs until ``stop`` is set (or SIGTERM/SIGINT arrives), then drain.

    ``tenantry worker`` runs it alone; ``serve`` runs it embedded as a task with
    ``install_signal_handlers=False`` (uvicorn owns the signals there and sets ``stop``).
    A first signal stops claiming and lets running jobs finish within the grace period; a
    second one interrupts them at once (their effects roll back, their claims are released).
    """
    import_job_modules(settings, modules)
    stop = stop if stop is not None else asyncio.Event()
    engine = create_engine(settings)
    replica_engine = create_replica_engine(settings)
    replica = session_factory(replica_engine) if replica_engine is not None else None
    worker = Worker.from_settings(settings, session_factory(engine), replica)
    loop = asyncio.get_running_loop()

    def on_signal() -> None:
        if stop.is_set():
            worker.abandon_in_flight()
        stop.set()

    installed: list[signal.Signals] = []
    for signum in (signal.SIGTERM, signal.SIGINT) if install_signal_handlers else ():
        try:
            loop.add_signal_handler(signum, on_signal)
        except (NotImplementedError, RuntimeError, ValueError):
            continue  # not the main thread, or a platform without signal handlers
        installed.append(signum)
    try:
        await worker.run(stop)
    finally:
        for signum in installed:
            loop.remove_signal_handler(signum)
        await engine.dispose()
        if replica_engine is not None:
            await replica_engine.dispose()
