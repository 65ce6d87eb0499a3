"""Credentials checked against the database a moment ago, so a busy credential costs no query.

Each request proves its credential by reading its row (not revoked, not expired, its user,
client and tenant active) in the request's own transaction. Under load the same credentials
come back hundreds of times a second, and that read is a quarter of a one-row request. This
cache keeps a check's answer for at most ``ttl`` seconds (half a second by default): the
bound on how long a revocation made elsewhere (another replica, the CLI) goes unseen, with no
messaging between processes. Within this process a committed change to a tenant's data
forgets that tenant's entries at once (the audit capture says which transactions changed
something), and a committed write outside any tenant (a tenant switched off, say) forgets
every entry, so a revocation made here is seen by the next request. A face may keep what it
reads beside the credential on the same terms (Percolate keeps the caller's grants, so a role
taken away elsewhere is honoured within the same bound).

Entries are keyed by tenant and credential: nothing is ever shared across tenants.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from tenantry.core.audit.capture import CHANGED_KEY
from tenantry.core.base import utcnow
from tenantry.core.tenancy import TENANT_KEY

__all__ = ["CredentialCache", "tenant_changed"]

V = TypeVar("V")

_epochs: dict[int | None, int] = {}
"""How many committed changes this process has seen, per tenant and (``None``) outside any
tenant: an entry made before the last one is stale."""
_WROTE = "tenantry.credential_cache.wrote"


def tenant_changed(tenant_id: int | None) -> None:
    """Forget the cached credentials of ``tenant_id`` (``None``: of every tenant)."""
    _epochs[tenant_id] = _epochs.get(tenant_id, 0) + 1


def _epoch(tenant_id: int) -> tuple[int, int]:
    return _epochs.get(None, 0), _epochs.get(tenant_id, 0)


@event.listens_for(Session, "do_orm_execute")
def _statement(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[_WROTE] = True


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, _context: Any) -> None:
    session.info[_WROTE] = True


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    tenant_id = session.info.get(TENANT_KEY)
    wrote = session.info.pop(_WROTE, False)
    changed = session.info.pop(CHANGED_KEY, False)
    if isinstance(tenant_id, int):
        if changed:
            tenant_changed(tenant_id)
    elif wrote:
        tenant_changed(None)


@dataclass(frozen=True)
class _Entry(Generic[V]):
    value: V
    until: float
    epoch: tuple[int, int]
    expires_at: datetime | None


class CredentialCache(Generic[V]):
    """What a credential check answered, per ``(tenant, credential)``, for ``ttl`` seconds."""

    def __init__(self, ttl: float, capacity: int = 20_000) -> None:
        self.ttl = ttl
        self.capacity = capacity
        self._entries: dict[tuple[int, Any], _Entry[V]] = {}

    def epoch(self, tenant_id: int) -> tuple[int, int]:
        """Taken before the database is read, handed back to :meth:`put`: a change committed
        while the read ran makes the new entry stale at once."""
        return _epoch(tenant_id)

    def get(self, tenant_id: int, key: Any) -> V | None:
        if self.ttl <= 0:
            return None
        entry = self._entries.get((tenant_id, key))
        if entry is None:
            return None
        if (
            entry.until <= time.monotonic()
            or entry.epoch != _epoch(tenant_id)
            or (entry.expires_at is not None and entry.expires_at <= utcnow())
        ):
            self._entries.pop((tenant_id, key), None)
            return None
        return entry.value

    def put(
        self,
        tenant_id: int,
        key: Any,
        value: V,
        *,
        epoch: tuple[int, int],
        expires_at: datetime | None = None,
    ) -> None:
        """Keep ``value``; never past the credential's own ``expires_at``."""
        if self.ttl <= 0:
            return
        if expires_at is not None and expires_at <= utcnow():
            return
        if len(self._entries) >= self.capacity:
            self._entries.pop(next(iter(self._entries)))  # the oldest
        self._entries[(tenant_id, key)] = _Entry(
            value, time.monotonic() + self.ttl, epoch, expires_at
        )
