"""The Percolate face's runtime: what its requests share, built once by the face's install.

It holds the declared resources by type word (includes resolve their targets here), the
account provisioners, and, on PostgreSQL, the compiled statement texts of the fast read
path. Nothing is filled as an import side effect: install lists the declarations.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from tenantry.core.platform import Platform
from tenantry.core.resources.registry import Registry
from tenantry.core.resources.sql import StatementTexts
from tenantry.percolate.api.scope_kinds import ScopeKinds
from tenantry.percolate.api.throttle import TOKEN_RATE

if TYPE_CHECKING:
    from tenantry.percolate.api.resource import Resource

__all__ = ["AccountProvisioner", "PercolateRuntime", "RuntimeDep", "runtime_of"]

AccountProvisioner = Callable[[AsyncSession], Awaitable[None]]
"""Gives an account what every Percolate account has (built-in roles, native platforms).

Runs in a writing unit before the first request a process serves for that account, so every
way of making a tenant (CLI, API, tests, PERSCOM) yields a complete account. It must be
idempotent and safe against a concurrent run (insert in a savepoint, tolerate a unique
violation).
"""


@dataclass
class PercolateRuntime:
    platform: Platform
    resources: Registry[Resource]
    provisioners: tuple[AccountProvisioner, ...]
    texts: StatementTexts | None
    """Set on PostgreSQL: read-only requests then run on the driver connection."""
    provisioned: set[int] = field(default_factory=set)
    """Accounts whose provisioners have run (and committed) in this process."""
    token_rate: str = TOKEN_RATE
    """Requests per credential (``limits`` notation): see ``percolate.api.throttle``."""
    scope_kinds: ScopeKinds = field(default_factory=ScopeKinds)
    """Scope kinds read before, for presenting scope ids (``percolate.api.scope_kinds``)."""

    @classmethod
    def build(
        cls,
        platform: Platform,
        resources: Iterable[Resource],
        provisioners: Iterable[AccountProvisioner],
        token_rate: str = TOKEN_RATE,
    ) -> PercolateRuntime:
        texts = None
        if not platform.settings.is_sqlite:
            texts = StatementTexts(platform.engine.dialect)
        return cls(
            platform,
            Registry(resources, lambda resource: resource.name),
            tuple(provisioners),
            texts,
            token_rate=token_rate,
        )


async def runtime_of(request: Request) -> PercolateRuntime:
    """The runtime the face's install put on the application (``async``: a plain ``def``
    dependency would cost a worker-thread hop per request)."""
    runtime: PercolateRuntime = request.app.state.percolate
    return runtime


RuntimeDep = Annotated[PercolateRuntime, Depends(runtime_of)]
