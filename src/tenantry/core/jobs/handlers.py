"""Job handlers: what runs for each job kind, and what a handler gets to work with."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tenantry.core.replica import caught_up
from tenantry.settings import Settings


@dataclass(frozen=True, slots=True)
class JobContext:
    """One attempt of one job, as its handler sees it.

    ``session`` is open in the transaction that also marks the job succeeded: whatever the
    handler writes through it commits atomically with the completion, and is rolled back
    if the handler fails or the worker lost the lease. Database effects made through
    ``session`` therefore happen exactly once. Effects anywhere else (mail, HTTP, files,
    other sessions from ``session_factory``) happen at least once: make them idempotent,
    keyed by ``job_id`` (e.g. a Message-ID or an ``Idempotency-Key`` derived from it).
    Never commit ``session`` yourself: that would split the effect from the completion.

    For a job enqueued with a ``tenant_id``, ``session`` is scoped to that tenant (the
    application filter and, on PostgreSQL, row-level security).

    On SQLite a write through ``session`` takes the database's single write lock until the
    job completes, which stalls every other writer: write late in the handler, and do
    slow work (HTTP, sleeps) before the first write.
    """

    job_id: int
    kind: str
    worker_id: str
    attempt: int
    max_attempts: int
    tenant_id: int | None
    settings: Settings
    session_factory: async_sessionmaker[AsyncSession]
    session: AsyncSession
    replica_session_factory: async_sessionmaker[AsyncSession] | None = None
    """Sessions on the streaming replica (``TENANTRY_DATABASE_REPLICA_URL``), if one is set."""

    async def lag_tolerant_sessions(self) -> async_sessionmaker[AsyncSession]:
        """Sessions for bulk reads that may come from the replica: it has replayed every
        commit made before this call (else they are the primary's; ``tenantry.core.replica``)."""
        return await caught_up(self.session_factory, self.replica_session_factory)

    @property
    def is_last_attempt(self) -> bool:
        """A failure now makes the job dead (a handler may want to alert instead of retry)."""
        return self.attempt >= self.max_attempts


JobHandler = Callable[[JobContext, dict[str, Any]], Awaitable[None]]
H = TypeVar("H", bound=JobHandler)


class JobHandlers:
    """A registry from job kind to handler. Kinds are the contract between producers
    (``enqueue(session, "mail.send", ...)``) and workers, so each has exactly one handler."""

    def __init__(self) -> None:
        self._handlers: dict[str, JobHandler] = {}

    def register(self, kind: str) -> Callable[[H], H]:
        """Decorator: ``@handlers.register("mail.send") async def send(ctx, payload): ...``"""

        def decorate(handler: H) -> H:
            existing = self._handlers.get(kind)
            if existing is not None and _origin(existing) != _origin(handler):
                raise ValueError(
                    f"job kind {kind!r} already handled by {'.'.join(_origin(existing))}"
                )
            self._handlers[kind] = handler
            return handler

        return decorate

    def get(self, kind: str) -> JobHandler | None:
        return self._handlers.get(kind)

    def __contains__(self, kind: object) -> bool:
        return kind in self._handlers

    def kinds(self) -> frozenset[str]:
        return frozenset(self._handlers)


def _origin(handler: JobHandler) -> tuple[str, str]:
    """Where a handler was defined; re-importing its module re-registers, which is fine."""
    return (
        str(getattr(handler, "__module__", "?")),
        str(getattr(handler, "__qualname__", repr(handler))),
    )


job_handlers = JobHandlers()
"""The process-wide registry: core and domain modules register their handlers here."""
