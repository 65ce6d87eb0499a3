"""One request's context: who calls, for which tenant, on which connection."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from starlette.requests import Request

from tenantry.core.auth import Principal, require
from tenantry.core.resources.sql import Database
from tenantry.perscom.engine.declaration import RenderContext

if TYPE_CHECKING:
    from tenantry.perscom.engine.announce import Announcement
    from tenantry.perscom.engine.runtime import Compiled, Registry

FORBIDDEN = (
    "The API key provided does not have the correct permissions and/or scopes to perform the "
    "requested action."
)


@dataclass
class Call:
    """Everything an engine operation needs; lives for one request inside one transaction.

    ``db`` runs reads in either mode. A writing call also has the tenant session and its
    connection (``session``, ``conn``); a reading call on PostgreSQL has neither, because
    it runs on the driver connection directly (see ``engine.sql``).
    """

    request: Request
    registry: Registry
    tenant_id: int
    principal: Principal
    db: Database
    render: RenderContext
    storage_put: StoragePut
    storage_delete: StorageDelete
    dialect: str
    response_headers: Mapping[str, str] = field(default_factory=dict)
    files_to_delete: list[str] = field(default_factory=list)
    announcements: list[Announcement] = field(default_factory=list)
    """Webhook events of this call's writes, dispatched in its transaction before commit."""
    writer: tuple[AsyncSession, AsyncConnection] | None = None

    @property
    def session(self) -> AsyncSession:
        if self.writer is None:
            raise RuntimeError("this call was opened for reading")
        return self.writer[0]

    @property
    def conn(self) -> AsyncConnection:
        if self.writer is None:
            raise RuntimeError("this call was opened for reading")
        return self.writer[1]

    @property
    def version(self) -> str:
        """``v1`` or ``v2``: the first path segment (already checked by the middleware)."""
        return str(self.request.scope["path"]).split("/", 2)[1]

    def allow(self, ability: str, resource: Compiled) -> None:
        """PERSCOM's check: ``<ability>:<model>`` must be among the key's scopes (or ``*``)."""
        require(self.principal, f"{ability}:{resource.decl.permission}", FORBIDDEN)


class StoragePut(Protocol):
    async def __call__(self, key: str, data: bytes, content_type: str) -> None: ...


class StorageDelete(Protocol):
    async def __call__(self, key: str) -> None: ...


class CallOpener(Protocol):
    """Authenticates a request and opens its tenant transaction (the face's gate)."""

    def __call__(
        self, request: Request, *, writing: bool = True
    ) -> AbstractAsyncContextManager[Call]: ...
