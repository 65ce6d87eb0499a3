"""One v5 request's view of the world: the caller, its grants per scope, one tenant session.

Capability checks go through here and answer as Percolate does: an object the caller may
not touch is indistinguishable from one that does not exist (403 both).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, bindparam, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tenantry.core import scopes
from tenantry.core.audit import act_as, actor_of_principal
from tenantry.core.auth import Credential, Principal
from tenantry.core.errors import Conflict, FieldError, Forbidden
from tenantry.core.platform import Platform
from tenantry.core.resources.scoped import of_tenant
from tenantry.core.resources.sql import AlchemyDatabase, Database, fixed
from tenantry.core.scopes import Reach, Scope, ScopedGrants
from tenantry.core.unit import Unit, open_unit
from tenantry.percolate.api.auth import Presented, touch_api_key, verify
from tenantry.percolate.api.ids import SCOPE_KINDS, SYSTEM_SCOPE, ScopeRef
from tenantry.percolate.api.runtime import PercolateRuntime

__all__ = ["V5Context", "forbidden", "open_context", "open_user_context"]

M = TypeVar("M")


_SCOPE_KINDS = fixed(
    select(Scope.id, Scope.kind).where(
        of_tenant(Scope, bindparam("tenant_id")), Scope.id.in_(bindparam("ids", expanding=True))
    )
)


def forbidden(key: str | None, value: Any = None, what: str = "object") -> Forbidden:
    """The 403 of Percolate for a missing or untouchable object, naming the input ``key``."""
    message = f"The {what} was not found, or these credentials may not do this to it."
    return Forbidden(message, [FieldError(key, message, value, code="auth:forbidden")])


@dataclass
class V5Context:
    runtime: PercolateRuntime
    principal: Principal
    unit: Unit
    grants: ScopedGrants
    alternatives: list[ColumnElement[bool]] = field(default_factory=list)
    """Disjoint conditions a filter wants OR-ed (see :func:`resource.list_resource`)."""
    _reach: dict[str, Reach] = field(default_factory=dict)
    _kinds: dict[int, str] = field(default_factory=dict)
    """Scope kinds read in this request (a scope listed here exists)."""
    _remembered: dict[int, str] = field(default_factory=dict)
    """Scope kinds the process remembered, for presenting only."""

    @property
    def platform(self) -> Platform:
        return self.runtime.platform

    @property
    def session(self) -> AsyncSession:
        """The tenant session of a writing context (a read-only one on PostgreSQL has none)."""
        return self.unit.session

    @cached_property
    def db(self) -> Database:
        """Where reads run: the driver in a read-only context on PostgreSQL, else the session
        (so that a write's own pending rows are seen)."""
        if self.unit.writer is None:
            return self.unit.db
        return AlchemyDatabase(self.unit.session)

    @property
    def reader(self) -> scopes.Reader:
        return _reader(self.unit)

    @property
    def tenant_id(self) -> int:
        return self.principal.tenant_id

    @property
    def user_id(self) -> int:
        assert self.principal.user_id is not None
        return self.principal.user_id

    async def get(self, model: type[M], key: tuple[Any, ...]) -> M | None:
        """The row of ``model`` with primary key ``key``: from the session when writing;
        read-only on the driver, a detached object built from one select."""
        if self.unit.writer is not None:
            return await self.unit.session.get(model, key)
        mapper = inspect(model)
        primary = mapper.local_table.primary_key.columns
        rows = await self.db.mappings(
            select(mapper.local_table).where(*(c == v for c, v in zip(primary, key, strict=True)))
        )
        if not rows:
            return None
        return model(**{a.key: rows[0][a.columns[0].name] for a in mapper.column_attrs})

    # -- capabilities -------------------------------------------------------------------

    async def reach(self, capability: str) -> Reach:
        """Where ``capability`` applies for the caller (cached for the request)."""
        known = self._reach.get(capability)
        if known is None:
            known = await scopes.reach(self.reader, self.grants, capability)
            self._reach[capability] = known
        return known

    def holds_anywhere(self, capability: str) -> bool:
        return bool(self.grants.scopes_with(capability))

    async def can(self, capability: str, scope_id: int | None) -> bool:
        """``capability`` in ``scope_id`` (``None``: the account) or an ancestor."""
        return await scopes.holds(self.reader, self.grants, capability, scope_id)

    async def require(
        self, capability: str, scope_id: int | None, key: str | None = None, value: Any = None
    ) -> None:
        if not await self.can(capability, scope_id):
            raise forbidden(key, value)

    # -- scope ids on the wire -------------------------------------------------------------

    async def scope_of(self, ref: ScopeRef, key: str, *, system_ok: bool = False) -> int | None:
        """The core scope (``None``: the account) a body's scope id names; 403 when it is
        not one of this account's scopes."""
        if ref.is_system:
            if system_ok:
                return None
            raise forbidden(key, SYSTEM_SCOPE, "scope")
        if ref.kind == "account":
            if ref.key == self.tenant_id:
                return None
            raise forbidden(key, f"account:{ref.key}", "scope")
        found = await self.known_scopes([ref])
        if ref.key not in found:
            raise forbidden(key, f"{ref.kind}:{ref.key}", "scope")
        return ref.key

    async def known_scopes(self, refs: Iterable[ScopeRef]) -> set[int]:
        """The scope rows among ``refs`` that exist here with the kind their id says."""
        wanted = {
            ref.key: ref.kind for ref in refs if ref.key is not None and ref.kind in SCOPE_KINDS
        }
        if not wanted:
            return set()
        await self._read_kinds(wanted)
        return {key for key, kind in wanted.items() if self._kinds.get(key) == kind}

    async def filter_scopes(self, refs: Iterable[ScopeRef]) -> tuple[set[int], bool, bool]:
        """A ``scope_ids`` filter resolved: (scope rows, includes the account, includes the
        system scope). Ids of other accounts or unknown scopes simply match nothing."""
        refs = list(refs)
        rows = await self.known_scopes(refs)
        account = any(ref.kind == "account" and ref.key == self.tenant_id for ref in refs)
        system = any(ref.is_system for ref in refs)
        return rows, account, system

    async def load_scope_kinds(self, scope_ids: Iterable[int | None]) -> None:
        """Know the kinds of ``scope_ids`` for :meth:`scope_wire`: as the process remembers
        them (:mod:`tenantry.percolate.api.scope_kinds`), the others read (one query)."""
        wanted = {s for s in scope_ids if s is not None and s not in self._kinds}
        memo = self.runtime.scope_kinds
        self._remembered.update(memo.known(self.tenant_id, wanted))
        unknown = wanted.difference(self._remembered)
        memo.remember(self.tenant_id, await self._read_kinds(unknown))

    async def _read_kinds(self, scope_ids: Iterable[int]) -> dict[int, str]:
        """Read the kinds of ``scope_ids`` not known in this request yet (one query); the
        kinds read, absent for ids that are no scope of this tenant."""
        missing = sorted({s for s in scope_ids if s not in self._kinds})
        if not missing:
            return {}
        rows = await self.db.rows(_SCOPE_KINDS, {"tenant_id": self.tenant_id, "ids": missing})
        read = {scope_id: kind for scope_id, kind in rows}
        self._kinds.update(read)
        return read

    def scope_wire(self, scope_id: int | None, *, system: bool = False) -> str:
        """``account:<tenant>``, ``builtin_scope:system`` or ``<kind>:<id>``."""
        if system:
            return SYSTEM_SCOPE
        if scope_id is None:
            return f"account:{self.tenant_id}"
        kind = self._kinds.get(scope_id) or self._remembered.get(scope_id, "scope")
        return f"{kind}:{scope_id}"


@asynccontextmanager
async def open_context(
    runtime: PercolateRuntime, caller: Presented, *, read_only: bool = False
) -> AsyncIterator[V5Context]:
    """The request's unit (one transaction, committed on success): the caller's credential is
    verified and its grants loaded inside it. ``read_only`` requests run on the driver on
    PostgreSQL (no session).

    The first request a process serves for an account first runs the account provisioners
    in a short writing unit of their own; the account counts as provisioned once it commits.
    """
    stale_key: int | None = None
    try:
        if caller.tenant_id not in runtime.provisioned:
            await _provision(runtime, caller.tenant_id, caller)
        async with open_unit(
            runtime.platform, caller.tenant_id, read_only=read_only, texts=runtime.texts
        ) as unit:
            verified = await verify(unit, caller, runtime.platform.credentials)
            if verified.stale_key is not None and unit.writer is not None:
                await touch_api_key(unit.session, verified.stale_key)
            else:
                stale_key = verified.stale_key
            grants = await _grants(runtime, unit, verified.user_id)
            tenant_wide = grants.by_scope.get(None, frozenset())
            principal = Principal(
                caller.tenant_id, verified.user_id, tenant_wide, verified.credential
            )
            if unit.writer is not None:
                act_as(unit.session, actor_of_principal(principal))
            yield V5Context(runtime, principal, unit, grants)
    except IntegrityError:
        # A uniqueness race lost after the service's own check passed: a conflict, not a 500.
        raise Conflict("The object conflicts with one written at the same time.") from None
    if stale_key is not None:
        async with open_unit(runtime.platform, caller.tenant_id, read_only=False) as unit:
            await touch_api_key(unit.session, stale_key)


@asynccontextmanager
async def open_user_context(
    runtime: PercolateRuntime, tenant_id: int, user_id: int
) -> AsyncIterator[V5Context]:
    """A writing context for a user the web sign-in has verified (the admin console): their
    own grants, so the v5 rules and capability checks apply as they do to their API calls.
    Writes are attributed to the web session (the page has named it the actor)."""
    try:
        if tenant_id not in runtime.provisioned:
            await _provision(runtime, tenant_id)
        async with open_unit(
            runtime.platform, tenant_id, read_only=False, texts=runtime.texts
        ) as unit:
            grants = await scopes.load_grants(unit.session, user_id)
            tenant_wide = grants.by_scope.get(None, frozenset())
            principal = Principal(tenant_id, user_id, tenant_wide, Credential("session"))
            yield V5Context(runtime, principal, unit, grants)
    except IntegrityError:
        raise Conflict("The object conflicts with one written at the same time.") from None


async def _grants(runtime: PercolateRuntime, unit: Unit, user_id: int) -> ScopedGrants:
    """The caller's grants: read in the unit, or as the credential cache read them a moment
    ago (a role change committed here forgets them at once, one made elsewhere within the
    cache's bound, as for the credential itself)."""
    cache = runtime.platform.credentials
    key = ("grants", user_id)
    cached = cache.get(unit.tenant_id, key)
    if isinstance(cached, ScopedGrants):
        return cached
    epoch = cache.epoch(unit.tenant_id)
    grants = await scopes.load_grants(_reader(unit), user_id)
    cache.put(unit.tenant_id, key, grants, epoch=epoch)
    return grants


def _reader(unit: Unit) -> scopes.Reader:
    """Grants and the scope tree are read on the driver, or through the writing session."""
    return unit if unit.writer is None else unit.session


async def _provision(
    runtime: PercolateRuntime, tenant_id: int, caller: Presented | None = None
) -> None:
    """Run the account provisioners for a verified caller (unknown credentials write nothing),
    or for a user the web sign-in has verified (``caller`` None)."""
    async with open_unit(runtime.platform, tenant_id, read_only=False) as unit:
        if caller is not None:
            await verify(unit, caller)
        for provision in runtime.provisioners:
            await provision(unit.session)
    runtime.provisioned.add(tenant_id)
