"""The job system: transactional enqueue, scheduling, retries, leases, workers (both engines).

Every test starts from an empty ``jobs`` table (the database is shared by the whole run) and
runs its workers with a registry of its own, so no handler leaks between tests. Time is
injected (a ``Clock`` given to the worker, ``now=`` to queue operations), never slept through.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import anyio
import pytest
from sqlalchemy import delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from tests.helpers import ON_POSTGRES, TenantFactory

from tenantry.core.base import utcnow
from tenantry.core.db import create_engine, session_factory
from tenantry.core.identity import service as identity
from tenantry.core.identity.models import User
from tenantry.core.jobs import (
    Backoff,
    Job,
    JobContext,
    JobHandlers,
    JobState,
    Worker,
    claim_jobs,
    enqueue,
    job_counts,
    job_handlers,
    mark_failed,
    mark_succeeded,
    purge_finished,
    reap_expired,
    release_jobs,
    renew_leases,
    run_worker,
)
from tenantry.core.tenancy import RLS_SETTING, tenant_of, tenant_session
from tenantry.settings import Settings

pytestmark = pytest.mark.anyio

Sessions = async_sessionmaker[AsyncSession]


class Clock:
    """A hand-driven clock for workers and queue operations."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture(scope="module")
async def effects_table(owner_engine: AsyncEngine, settings: Settings) -> AsyncIterator[str]:
    """A table handlers write their effects to (dropped afterwards: the database is shared)."""
    async with owner_engine.begin() as connection:
        await connection.execute(
            text(
                "CREATE TABLE IF NOT EXISTS job_effects "
                "(job_id BIGINT NOT NULL, attempt INTEGER NOT NULL, note VARCHAR(100))"
            )
        )
        if ON_POSTGRES:
            await connection.execute(
                text(f"GRANT SELECT, INSERT, DELETE ON job_effects TO {settings.database_role}")
            )
    yield "job_effects"
    async with owner_engine.begin() as connection:
        await connection.execute(text("DROP TABLE job_effects"))


@pytest.fixture(autouse=True)
async def empty_queue(owner_engine: AsyncEngine, effects_table: str) -> None:
    async with owner_engine.begin() as connection:
        await connection.execute(delete(Job))
        await connection.execute(text(f"DELETE FROM {effects_table}"))


async def load(sessions: Sessions, job_id: int) -> Job:
    async with sessions() as session:
        job = await session.get(Job, job_id)
        assert job is not None, f"job {job_id} does not exist"
        return job


async def effects(sessions: Sessions) -> list[tuple[int, int, str | None]]:
    async with sessions() as session:
        rows = await session.execute(
            text("SELECT job_id, attempt, note FROM job_effects ORDER BY job_id, attempt")
        )
        return [(row[0], row[1], row[2]) for row in rows]


async def record_effect(ctx: JobContext, note: str = "") -> None:
    await ctx.session.execute(
        text("INSERT INTO job_effects (job_id, attempt, note) VALUES (:job, :attempt, :note)"),
        {"job": ctx.job_id, "attempt": ctx.attempt, "note": note},
    )


async def add_job(
    sessions: Sessions, kind: str, payload: dict[str, Any] | None = None, **kw: Any
) -> int:
    async with sessions() as session, session.begin():
        return (await enqueue(session, kind, payload or {}, **kw)).id


def make_worker(
    settings: Settings, sessions: Sessions, handlers: JobHandlers, **overrides: Any
) -> Worker:
    options: dict[str, Any] = {
        "worker_id": "test-worker",
        "concurrency": 2,
        "lease_seconds": 30,
        "poll_interval": 0.02,
        "grace_period": 5.0,
    }
    options.update(overrides)
    return Worker(settings, sessions, handlers, **options)


async def eventually(check: Callable[[], Awaitable[bool]], seconds: float = 20.0) -> None:
    """Poll ``check`` (a database query: nothing to wait on but time) until it holds."""
    with anyio.fail_after(seconds):
        while True:
            if await check():
                return
            await asyncio.sleep(0.02)


async def run_until(worker: Worker, check: Callable[[], Awaitable[bool]]) -> None:
    """Run ``worker`` until ``check`` holds, then stop it gracefully."""
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))

    async def checked() -> bool:
        if task.done():
            task.result()
            raise AssertionError("the worker stopped on its own")
        return await check()

    try:
        await eventually(checked)
    finally:
        stop.set()
        with anyio.fail_after(10):
            await task


def state_is(sessions: Sessions, job_id: int, *states: JobState) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return (await load(sessions, job_id)).state in states

    return check


# --- enqueue: the transactional outbox ------------------------------------------------


async def test_rolled_back_transaction_leaves_no_job(sessions: Sessions) -> None:
    async with sessions() as session:
        await session.begin()
        job_id = (await enqueue(session, "mail.send", {"to": "ann@example.org"})).id
        await session.rollback()
    async with sessions() as session:
        assert await session.get(Job, job_id) is None
        assert await job_counts(session) == dict.fromkeys(
            ("queued", "running", "succeeded", "dead"), 0
        )


async def test_job_commits_and_rolls_back_with_the_write_that_caused_it(
    sessions: Sessions, make_tenant: TenantFactory
) -> None:
    tenant = await make_tenant()
    async with tenant_session(sessions, tenant) as session:
        user = await identity.create_user(session, email="ann@example.org", name="Ann")
        welcome = await enqueue(session, "mail.welcome", {"user": user.id}, tenant_id=tenant)
    assert (await load(sessions, welcome.id)).tenant_id == tenant

    with pytest.raises(RuntimeError, match="later step"):
        async with tenant_session(sessions, tenant) as session:
            await identity.create_user(session, email="bob@example.org", name="Bob")
            lost = (await enqueue(session, "mail.welcome", {}, tenant_id=tenant)).id
            raise RuntimeError("a later step of the request fails")
    async with tenant_session(sessions, tenant) as session:
        assert await session.get(Job, lost) is None
        emails = set(await session.scalars(select(User.email)))
        assert emails == {"ann@example.org"}


async def test_committed_job_is_queued_with_defaults(sessions: Sessions) -> None:
    before = utcnow()
    job_id = await add_job(sessions, "mail.send", {"to": "ann@example.org"}, tenant_id=7)
    job = await load(sessions, job_id)
    assert (job.kind, job.payload, job.tenant_id) == ("mail.send", {"to": "ann@example.org"}, 7)
    assert (job.state, job.attempts, job.max_attempts) == ("queued", 0, 5)
    assert before <= job.run_at <= utcnow()
    assert job.lease_owner is None and job.finished_at is None and job.last_error is None


async def test_dedupe_key_enqueues_once(sessions: Sessions) -> None:
    first = await add_job(sessions, "export", {"n": 1}, dedupe_key="export:42")
    second = await add_job(sessions, "export", {"n": 2}, dedupe_key="export:42")
    async with sessions() as session, session.begin():
        a = await enqueue(session, "export", {}, dedupe_key="export:43")
        b = await enqueue(session, "export", {}, dedupe_key="export:43")
    assert first == second and a.id == b.id
    assert (await load(sessions, first)).payload == {"n": 1}
    async with sessions() as session:
        assert (await job_counts(session))["queued"] == 2


async def test_enqueue_rejects_nonsense(sessions: Sessions) -> None:
    async with sessions() as session, session.begin():
        with pytest.raises(ValueError, match="max_attempts"):
            await enqueue(session, "x", {}, max_attempts=0)
        with pytest.raises(ValueError, match="timezone"):
            await enqueue(session, "x", {}, run_at=datetime(2030, 1, 1))
        with pytest.raises(ValueError, match="kind"):
            await enqueue(session, "", {})


# --- scheduling -----------------------------------------------------------------------


async def test_scheduled_job_is_not_claimed_before_run_at(sessions: Sessions) -> None:
    now = utcnow()
    job_id = await add_job(sessions, "publish", run_at=now + timedelta(minutes=5))
    async with sessions() as session, session.begin():
        assert await claim_jobs(session, worker_id="w", limit=10, lease_seconds=30, now=now) == []
        due = now + timedelta(minutes=5)
        claimed = await claim_jobs(session, worker_id="w", limit=10, lease_seconds=30, now=due)
    assert [job.id for job in claimed] == [job_id]
    assert claimed[0].attempt == 1


async def test_worker_runs_scheduled_job_only_once_due(
    settings: Settings, sessions: Sessions
) -> None:
    clock = Clock()
    ran: list[datetime] = []
    handlers = JobHandlers()

    @handlers.register("publish")
    async def publish(ctx: JobContext, payload: dict[str, Any]) -> None:
        ran.append(clock())

    job_id = await add_job(sessions, "publish", run_at=clock.now + timedelta(seconds=60))
    worker = make_worker(settings, sessions, handlers, clock=clock)
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    try:
        await asyncio.sleep(0.3)  # many polls, all before run_at
        assert ran == [] and (await load(sessions, job_id)).state == "queued"
        clock.advance(60)
        await eventually(state_is(sessions, job_id, JobState.SUCCEEDED))
    finally:
        stop.set()
        await task
    job = await load(sessions, job_id)
    assert ran == [clock.now] and job.attempts == 1 and job.finished_at == clock.now


# --- failures: retries with backoff, then dead ----------------------------------------


async def test_backoff_is_exponential_capped_and_fully_jittered() -> None:
    backoff = Backoff(base=2.0, cap=30.0)
    assert [backoff.delay(n, lambda: 1.0) for n in range(1, 7)] == [2, 4, 8, 16, 30, 30]
    assert backoff.delay(3, lambda: 0.0) == 0.0
    assert backoff.delay(3, lambda: 0.25) == 2.0
    assert backoff.delay(10_000, lambda: 1.0) == 30.0


async def test_failing_job_is_retried_with_backoff_then_dead(
    settings: Settings, sessions: Sessions
) -> None:
    clock = Clock()
    start = clock.now
    handlers = JobHandlers()

    @handlers.register("flaky")
    async def flaky(ctx: JobContext, payload: dict[str, Any]) -> None:
        await record_effect(ctx)  # rolled back with the failed attempt
        raise ValueError(f"boom #{ctx.attempt}")

    job_id = await add_job(sessions, "flaky", max_attempts=3, run_at=start)
    worker = make_worker(
        settings, sessions, handlers, clock=clock, backoff=Backoff(base=10, cap=25), rng=lambda: 1.0
    )

    async def attempts_done(n: int) -> Callable[[], Awaitable[bool]]:
        async def check() -> bool:
            job = await load(sessions, job_id)
            return job.attempts == n and job.state != "running"

        return check

    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    try:
        await eventually(await attempts_done(1))
        job = await load(sessions, job_id)
        assert job.state == "queued" and job.run_at == start + timedelta(seconds=10)
        assert job.last_error is not None and "ValueError: boom #1" in job.last_error
        await asyncio.sleep(0.2)  # not due yet: no second attempt
        assert (await load(sessions, job_id)).attempts == 1

        clock.advance(10)
        await eventually(await attempts_done(2))
        job = await load(sessions, job_id)
        assert job.state == "queued" and job.run_at == start + timedelta(seconds=10 + 20)

        clock.advance(20)
        await eventually(await attempts_done(3))
    finally:
        stop.set()
        await task
    job = await load(sessions, job_id)
    assert job.state == "dead" and job.attempts == 3 and job.finished_at == clock.now
    assert job.last_error is not None and "ValueError: boom #3" in job.last_error
    assert job.lease_owner is None
    assert await effects(sessions) == []


async def test_unknown_kind_goes_dead_at_once(settings: Settings, sessions: Sessions) -> None:
    job_id = await add_job(sessions, "nobody.handles.this")
    await run_until(
        make_worker(settings, sessions, JobHandlers()),
        state_is(sessions, job_id, JobState.DEAD),
    )
    job = await load(sessions, job_id)
    assert job.attempts == 1
    assert job.last_error == "no handler registered for job kind 'nobody.handles.this'"


# --- leases: reaper, renewals, takeovers ----------------------------------------------


async def test_expired_lease_is_reaped_and_the_job_resumes(
    settings: Settings, sessions: Sessions
) -> None:
    job_id = await add_job(sessions, "resumable")
    now = utcnow()
    async with sessions() as session, session.begin():
        (ghost_claim,) = await claim_jobs(
            session, worker_id="ghost", limit=1, lease_seconds=30, now=now
        )
    async with sessions() as session, session.begin():
        assert await reap_expired(session, now=now + timedelta(seconds=29)) == (0, 0)
    assert (await load(sessions, job_id)).state == "running"
    async with sessions() as session, session.begin():
        assert await reap_expired(session, now=now + timedelta(seconds=31)) == (1, 0)
    job = await load(sessions, job_id)
    assert (job.state, job.attempts, job.lease_owner) == ("queued", 1, None)
    assert job.last_error == "lease expired: worker ghost presumed lost"

    attempts: list[int] = []
    handlers = JobHandlers()

    @handlers.register("resumable")
    async def resumable(ctx: JobContext, payload: dict[str, Any]) -> None:
        attempts.append(ctx.attempt)
        await record_effect(ctx)

    await run_until(
        make_worker(settings, sessions, handlers),
        state_is(sessions, job_id, JobState.SUCCEEDED),
    )
    assert attempts == [2] and await effects(sessions) == [(job_id, 2, "")]
    # The ghost wakes up: its claim is gone, it cannot complete or fail the job.
    async with sessions() as session, session.begin():
        assert await mark_succeeded(session, ghost_claim, "ghost") is False
        assert await mark_failed(session, ghost_claim, "ghost", "late", retry_at=None) is None
    assert (await load(sessions, job_id)).state == "succeeded"


async def test_lease_expiring_on_last_attempt_buries_the_job(sessions: Sessions) -> None:
    job_id = await add_job(sessions, "poison", max_attempts=1)
    now = utcnow()
    async with sessions() as session, session.begin():
        await claim_jobs(session, worker_id="ghost", limit=1, lease_seconds=5, now=now)
        assert await reap_expired(session, now=now + timedelta(seconds=6)) == (0, 1)
    job = await load(sessions, job_id)
    assert job.state == "dead" and job.finished_at == now + timedelta(seconds=6)


async def test_renewed_lease_is_not_reaped(sessions: Sessions) -> None:
    job_id = await add_job(sessions, "long")
    now = utcnow()
    async with sessions() as session, session.begin():
        await claim_jobs(session, worker_id="a", limit=1, lease_seconds=30, now=now)
        later = now + timedelta(seconds=20)
        assert await renew_leases(session, "b", [job_id], lease_seconds=30, now=later) == set()
        assert await renew_leases(session, "a", [job_id], lease_seconds=30, now=later) == {job_id}
        assert await reap_expired(session, now=now + timedelta(seconds=31)) == (0, 0)
    assert (await load(sessions, job_id)).lease_expires_at == now + timedelta(seconds=50)


async def test_lost_lease_rolls_back_the_handlers_writes(
    settings: Settings, sessions: Sessions
) -> None:
    handlers = JobHandlers()

    @handlers.register("overtaken")
    async def overtaken(ctx: JobContext, payload: dict[str, Any]) -> None:
        # Another worker takes the job over while this one is still running it...
        async with ctx.session_factory() as other, other.begin():
            await other.execute(
                text("UPDATE jobs SET lease_owner = 'thief' WHERE id = :id"), {"id": ctx.job_id}
            )
        await record_effect(ctx)  # ...so this write must not survive.

    job_id = await add_job(sessions, "overtaken")

    async def taken_over() -> bool:
        async with sessions() as session:
            count = await session.scalar(select(func.count()).select_from(text("job_effects")))
        job = await load(sessions, job_id)
        return job.lease_owner == "thief" and job.attempts == 1 and count == 0

    worker = make_worker(settings, sessions, handlers, concurrency=1)
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    try:
        await eventually(taken_over)
        await asyncio.sleep(0.2)
    finally:
        stop.set()
        await task
    job = await load(sessions, job_id)
    assert (job.state, job.lease_owner, job.finished_at) == ("running", "thief", None)
    assert await effects(sessions) == []


async def test_handler_writes_commit_with_completion(
    settings: Settings, sessions: Sessions
) -> None:
    handlers = JobHandlers()

    @handlers.register("effect")
    async def effect(ctx: JobContext, payload: dict[str, Any]) -> None:
        await record_effect(ctx, payload["note"])

    job_id = await add_job(sessions, "effect", {"note": "hello"})
    await run_until(
        make_worker(settings, sessions, handlers),
        state_is(sessions, job_id, JobState.SUCCEEDED),
    )
    assert await effects(sessions) == [(job_id, 1, "hello")]


async def test_tenant_job_gets_a_tenant_scoped_session(
    settings: Settings, sessions: Sessions
) -> None:
    seen: list[tuple[int | None, int | None, str | None]] = []
    handlers = JobHandlers()

    @handlers.register("tenant.work")
    async def tenant_work(ctx: JobContext, payload: dict[str, Any]) -> None:
        rls = None
        if ON_POSTGRES:
            rls = await ctx.session.scalar(
                text("SELECT current_setting(:name, true)"), {"name": RLS_SETTING}
            )
        seen.append((ctx.tenant_id, tenant_of(ctx.session), rls))

    job_id = await add_job(sessions, "tenant.work", tenant_id=42)
    await run_until(
        make_worker(settings, sessions, handlers),
        state_is(sessions, job_id, JobState.SUCCEEDED),
    )
    assert seen == [(42, 42, "42" if ON_POSTGRES else None)]


# --- concurrency ----------------------------------------------------------------------


async def test_two_workers_never_run_the_same_job_twice(settings: Settings) -> None:
    engines = [create_engine(settings), create_engine(settings)]
    factories = [session_factory(engine) for engine in engines]
    runs: list[tuple[int, str]] = []
    handlers = JobHandlers()

    @handlers.register("count")
    async def count(ctx: JobContext, payload: dict[str, Any]) -> None:
        runs.append((ctx.job_id, ctx.worker_id))
        await asyncio.sleep(0.005)
        await record_effect(ctx)

    async with factories[0]() as session, session.begin():
        ids = [(await enqueue(session, "count", {"i": i})).id for i in range(40)]
    workers = [
        make_worker(settings, factory, handlers, worker_id=f"w{n}", concurrency=4)
        for n, factory in enumerate(factories)
    ]

    async def all_done() -> bool:
        async with factories[0]() as session:
            return (await job_counts(session))["succeeded"] == len(ids)

    stop = asyncio.Event()
    tasks = [asyncio.create_task(worker.run(stop)) for worker in workers]
    try:
        await eventually(all_done, seconds=60)
    finally:
        stop.set()
        await asyncio.gather(*tasks)
        for engine in engines:
            await engine.dispose()
    assert sorted(job_id for job_id, _ in runs) == sorted(ids)
    assert sorted(job_id for job_id, _, _ in await effects(factories[0])) == sorted(ids)
    assert {worker for _, worker in runs} == {"w0", "w1"}


@pytest.mark.postgres_only
async def test_concurrent_claims_skip_locked_rows(sessions: Sessions) -> None:
    ids = [await add_job(sessions, "batch") for _ in range(4)]
    async with sessions() as first, first.begin():
        mine = await claim_jobs(first, worker_id="a", limit=2, lease_seconds=30)
        async with sessions() as second, second.begin():
            with anyio.fail_after(5):  # SKIP LOCKED: no waiting for the first transaction
                theirs = await claim_jobs(second, worker_id="b", limit=2, lease_seconds=30)
    assert {job.id for job in mine} | {job.id for job in theirs} == set(ids)
    assert not {job.id for job in mine} & {job.id for job in theirs}


# --- graceful stop --------------------------------------------------------------------


async def test_stop_lets_a_running_job_finish(settings: Settings, sessions: Sessions) -> None:
    started = asyncio.Event()
    handlers = JobHandlers()

    @handlers.register("slow")
    async def slow(ctx: JobContext, payload: dict[str, Any]) -> None:
        started.set()
        await asyncio.sleep(0.3)
        await record_effect(ctx)

    job_id = await add_job(sessions, "slow")
    stop = asyncio.Event()
    task = asyncio.create_task(make_worker(settings, sessions, handlers).run(stop))
    with anyio.fail_after(10):
        await started.wait()
    stop.set()
    with anyio.fail_after(10):
        await task
    assert (await load(sessions, job_id)).state == "succeeded"
    assert await effects(sessions) == [(job_id, 1, "")]


async def test_stop_releases_jobs_that_outlive_the_grace_period(
    settings: Settings, sessions: Sessions
) -> None:
    started = asyncio.Event()
    handlers = JobHandlers()

    @handlers.register("stuck")
    async def stuck(ctx: JobContext, payload: dict[str, Any]) -> None:
        await record_effect(ctx)
        started.set()
        await asyncio.Event().wait()  # never finishes on its own

    job_id = await add_job(sessions, "stuck")
    stop = asyncio.Event()
    # concurrency=1: no claim competes with the stuck handler for SQLite's write lock.
    worker = make_worker(settings, sessions, handlers, concurrency=1, grace_period=0.2)
    task = asyncio.create_task(worker.run(stop))
    with anyio.fail_after(10):
        await started.wait()
    stop.set()
    with anyio.fail_after(10):
        await task
    job = await load(sessions, job_id)
    assert (job.state, job.attempts, job.lease_owner, job.lease_expires_at) == (
        "queued",
        0,
        None,
        None,
    )
    assert await effects(sessions) == []


async def test_released_claims_do_not_count_as_attempts(sessions: Sessions) -> None:
    ids = [await add_job(sessions, "prefetched") for _ in range(2)]
    async with sessions() as session, session.begin():
        claimed = await claim_jobs(session, worker_id="w", limit=2, lease_seconds=30)
        assert await release_jobs(session, "other", claimed) == 0
        assert await release_jobs(session, "w", claimed) == 2
    for job_id in ids:
        job = await load(sessions, job_id)
        assert (job.state, job.attempts, job.lease_owner) == ("queued", 0, None)


# --- housekeeping, metrics, registry, entry point -------------------------------------


async def test_job_counts_by_state(sessions: Sessions) -> None:
    for _ in range(3):
        await add_job(sessions, "metric")
    async with sessions() as session, session.begin():
        first, second = await claim_jobs(session, worker_id="w", limit=2, lease_seconds=30)
        assert await mark_succeeded(session, first, "w")
        assert await mark_failed(session, second, "w", "bad", retry_at=None) == JobState.DEAD
    async with sessions() as session:
        assert await job_counts(session) == {"queued": 1, "running": 0, "succeeded": 1, "dead": 1}


async def test_purge_deletes_old_succeeded_jobs_only(sessions: Sessions) -> None:
    now = utcnow()
    old, dead, recent = [await add_job(sessions, "p", dedupe_key=f"p{i}") for i in range(3)]
    async with sessions() as session, session.begin():
        a, b, c = await claim_jobs(session, worker_id="w", limit=3, lease_seconds=30)
        await mark_succeeded(session, a, "w", now=now - timedelta(days=8))
        await mark_failed(session, b, "w", "x", retry_at=None, now=now - timedelta(days=8))
        await mark_succeeded(session, c, "w", now=now - timedelta(days=1))
        assert await purge_finished(session, before=now - timedelta(days=7)) == 1
    async with sessions() as session:
        left = set(await session.scalars(select(Job.id)))
        assert left == {dead, recent}
        # The purged job's dedupe key is free again.
        assert (await enqueue(session, "p", {}, dedupe_key="p0")).id != old


async def test_registry_refuses_a_second_handler_for_a_kind() -> None:
    handlers = JobHandlers()

    async def one(ctx: JobContext, payload: dict[str, Any]) -> None:
        return None

    async def two(ctx: JobContext, payload: dict[str, Any]) -> None:
        return None

    assert handlers.register("k")(one) is one
    handlers.register("k")(one)  # the same function again (a re-import) is fine
    with pytest.raises(ValueError, match="already handled"):
        handlers.register("k")(two)
    assert "k" in handlers and handlers.get("k") is one and handlers.kinds() == {"k"}


async def test_run_worker_uses_the_default_registry(settings: Settings, sessions: Sessions) -> None:
    kind = "tests.run_worker.ping"
    if kind not in job_handlers:

        @job_handlers.register(kind)
        async def ping(ctx: JobContext, payload: dict[str, Any]) -> None:
            await record_effect(ctx, "pong")

    fast = settings.model_copy(update={"job_poll_interval": 0.05})
    job_id = await add_job(sessions, kind)
    stop = asyncio.Event()
    task = asyncio.create_task(run_worker(fast, stop, install_signal_handlers=False))
    try:
        await eventually(state_is(sessions, job_id, JobState.SUCCEEDED))
    finally:
        stop.set()
        with anyio.fail_after(10):
            await task
    assert await effects(sessions) == [(job_id, 1, "pong")]
