"""The platform: the long-lived services one process shares (engine, storage, mail, limits).

Built once at start-up and hung on ``app.state.platform``; faces reach it through the
``PlatformDep`` dependency instead of globals.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from tenantry.core.analyze import Analyzer
from tenantry.core.credential_cache import CredentialCache
from tenantry.core.db import create_engine, session_factory
from tenantry.core.errors import ErrorRenderers
from tenantry.core.mail import Mailer, open_mailer
from tenantry.core.ratelimit import RateLimiter, open_rate_limiter
from tenantry.core.reads import ReadPool
from tenantry.core.spec import SpecEntry
from tenantry.core.storage import Storage, open_storage
from tenantry.settings import Settings


@dataclass
class Platform:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    storage: Storage
    mailer: Mailer
    limiter: RateLimiter
    error_renderers: ErrorRenderers = field(default_factory=ErrorRenderers)
    specs: list[SpecEntry] = field(default_factory=list)
    closing: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    """What a face must finish before the engine goes (flushing buffered writes), in order."""
    draining: bool = False
    """Set when the process was told to stop: ``/readyz`` fails so balancers move away first."""
    analyzer: Analyzer = field(init=False)
    """Refreshes planner statistics after bulk writes (``tenantry.core.analyze``)."""
    reads: ReadPool | None = field(init=False)
    """The read-only fast path's own connections (``tenantry.core.reads``); PostgreSQL only."""
    credentials: CredentialCache[Any] = field(init=False)
    """Credential checks answered a moment ago (``tenantry.core.credential_cache``); each face
    keys its entries by its own kind of credential."""

    def __post_init__(self) -> None:
        self.analyzer = Analyzer(self.settings)
        self.credentials = CredentialCache(self.settings.credential_cache_seconds)
        self.reads = None if self.settings.is_sqlite else ReadPool(self.settings)

    @classmethod
    def build(cls, settings: Settings) -> Platform:
        engine = create_engine(settings)
        return cls(
            settings=settings,
            engine=engine,
            sessions=session_factory(engine),
            storage=open_storage(settings),
            mailer=open_mailer(settings),
            limiter=open_rate_limiter(settings),
        )

    async def close(self) -> None:
        for finish in self.closing:
            await finish()
        await self.limiter.close()
        await self.storage.close()
        await self.analyzer.close()
        if self.reads is not None:
            await self.reads.close()
        await self.engine.dispose()


def get_platform(request: Request) -> Platform:
    platform = request.app.state.platform
    assert isinstance(platform, Platform)
    return platform


async def platform_dependency(request: Request) -> Platform:
    """:func:`get_platform` as a dependency: ``async``, since FastAPI runs a plain ``def``
    dependency on a worker thread (a thread hop per request)."""
    return get_platform(request)


PlatformDep = Annotated[Platform, Depends(platform_dependency)]
