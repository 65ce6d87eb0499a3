"""The scope hierarchy inside a tenant, and grants of roles per scope.

A tenant is the root of its own tree: it has no row here, and ``None`` stands for it
wherever a scope id is expected ("the whole tenant"). Below it, scopes of any ``kind`` (the
kinds are data chosen by a face, e.g. ``license_group``, ``license``, ``brand``) nest under
a parent. The tree is kept as a closure table, ``scope_links``: one row per (ancestor,
descendant) pair including each scope with itself, so "every scope below S" and "every scope
above S" are both one indexed look-up on either engine, whatever the depth.

A user role may name a scope (``user_roles.scope_id``); a grant at ``None`` applies to the
whole tenant. The check is "does the user hold capability X in scope S or in an ancestor".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ColumnElement,
    Index,
    Integer,
    Select,
    String,
    any_,
    bindparam,
    false,
    or_,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import InstrumentedAttribute, Mapped, mapped_column
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.visitors import InternalTraversal

from tenantry.core.base import Base, TenantOwned, TenantScoped, tenant_fk
from tenantry.core.errors import FieldError, ValidationFailed
from tenantry.core.identity.models import Role, RolePermission, UserRole
from tenantry.core.identity.permissions import catalogue
from tenantry.core.resources.sql import AlchemyDatabase, Database, fixed
from tenantry.core.tenancy import tenant_of
from tenantry.core.unit import Unit

ScopeColumn = ColumnElement[int | None] | InstrumentedAttribute[int | None]
"""A column holding scope ids (NULL: the tenant itself)."""
MAX_NAME = 200
MAX_KIND = 40

__all__ = [
    "Reach",
    "Scope",
    "ScopeLink",
    "ScopedGrants",
    "ancestor_ids",
    "ancestors_select",
    "create_scope",
    "descendants_select",
    "holds",
    "in_ids",
    "load_grants",
    "reach",
]


class Scope(TenantOwned, Base):
    """A node of the tenant's scope tree (``parent_id`` ``None``: directly under the tenant)."""

    __tablename__ = "scopes"
    __table_args__ = (
        tenant_fk(["parent_id"], "scopes", ondelete="CASCADE"),
        Index("ix_scopes_tenant_id_parent_id", "tenant_id", "parent_id"),
        Index("ix_scopes_tenant_id_kind_id", "tenant_id", "kind", "id"),
    )

    kind: Mapped[str] = mapped_column(String(MAX_KIND))
    name: Mapped[str] = mapped_column(String(MAX_NAME))
    parent_id: Mapped[int | None] = mapped_column(default=None)
    depth: Mapped[int] = mapped_column(Integer, default=0)
    """Distance from the tenant: 0 for a scope directly under it."""


class ScopeLink(TenantScoped, Base):
    """Closure of the tree: ``ancestor_id`` is ``descendant_id`` or above it, ``distance`` apart."""

    __tablename__ = "scope_links"
    __table_args__ = (
        tenant_fk(["ancestor_id"], "scopes", ondelete="CASCADE"),
        tenant_fk(["descendant_id"], "scopes", ondelete="CASCADE"),
        Index("ix_scope_links_tenant_id_descendant_id", "tenant_id", "descendant_id"),
    )

    ancestor_id: Mapped[int] = mapped_column(primary_key=True)
    descendant_id: Mapped[int] = mapped_column(primary_key=True)
    distance: Mapped[int] = mapped_column(Integer)


def _tenant(session: AsyncSession) -> int:
    tenant_id = tenant_of(session)
    if tenant_id is None:
        raise RuntimeError("scopes need a tenant-scoped session")
    return tenant_id


async def create_scope(
    session: AsyncSession, *, kind: str, name: str, parent_id: int | None = None
) -> Scope:
    """Add a scope under ``parent_id`` (or directly under the tenant) with its closure rows."""
    tenant_id = _tenant(session)
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise ValidationFailed(
            "A scope needs a name of at most 200 characters.", [FieldError("name", "invalid", name)]
        )
    depth = 0
    above: list[tuple[int, int]] = []
    if parent_id is not None:
        parent = await session.get(Scope, (tenant_id, parent_id))
        if parent is None:
            raise ValidationFailed(
                "The parent scope does not exist.", [FieldError("parent_id", "unknown", parent_id)]
            )
        depth = parent.depth + 1
        rows = await session.execute(
            select(ScopeLink.ancestor_id, ScopeLink.distance).where(
                ScopeLink.tenant_id == tenant_id, ScopeLink.descendant_id == parent_id
            )
        )
        above = [(ancestor, distance) for ancestor, distance in rows]
    scope = Scope(tenant_id=tenant_id, kind=kind, name=name, parent_id=parent_id, depth=depth)
    session.add(scope)
    await session.flush()
    session.add(
        ScopeLink(tenant_id=tenant_id, ancestor_id=scope.id, descendant_id=scope.id, distance=0)
    )
    for ancestor, distance in above:
        session.add(
            ScopeLink(
                tenant_id=tenant_id,
                ancestor_id=ancestor,
                descendant_id=scope.id,
                distance=distance + 1,
            )
        )
    await session.flush()
    return scope


def descendants_select(tenant_id: int, scope_ids: Iterable[int]) -> Select[int]:
    """Ids of every scope at or below ``scope_ids`` (one index range per given scope)."""
    return select(ScopeLink.descendant_id).where(
        ScopeLink.tenant_id == tenant_id, ScopeLink.ancestor_id.in_(list(scope_ids))
    )


def ancestors_select(tenant_id: int, scope_ids: Iterable[int]) -> Select[int]:
    """Ids of every scope at or above ``scope_ids`` (the tenant itself, ``None``, not included)."""
    return select(ScopeLink.ancestor_id).where(
        ScopeLink.tenant_id == tenant_id, ScopeLink.descendant_id.in_(list(scope_ids))
    )


Reader = Unit | AsyncSession
"""Where grants and the tree are read: a tenant unit (either runner) or a tenant session."""


def _runner(source: Reader) -> tuple[Database, int]:
    if isinstance(source, Unit):
        return source.db, source.tenant_id
    return AlchemyDatabase(source), _tenant(source)


async def ancestor_ids(source: Reader, scope_ids: Iterable[int]) -> set[int]:
    """The scopes at or above ``scope_ids`` that exist in the tenant."""
    wanted = list(scope_ids)
    if not wanted:
        return set()
    db, tenant_id = _runner(source)
    return {row[0] for row in await db.rows(ancestors_select(tenant_id, wanted))}


@dataclass(frozen=True)
class ScopedGrants:
    """What one user holds, per scope (``None``: the whole tenant)."""

    by_scope: dict[int | None, frozenset[str]] = field(default_factory=dict)

    def scopes_with(self, capability: str) -> set[int | None]:
        return {scope for scope, caps in self.by_scope.items() if capability in caps or "*" in caps}

    def tenant_wide(self, capability: str) -> bool:
        caps = self.by_scope.get(None, frozenset())
        return capability in caps or "*" in caps


_GRANTS = fixed(
    select(UserRole.scope_id, Role.preset, RolePermission.permission)
    .join(Role, (Role.tenant_id == UserRole.tenant_id) & (Role.id == UserRole.role_id))
    .outerjoin(
        RolePermission,
        (RolePermission.tenant_id == Role.tenant_id) & (RolePermission.role_id == Role.id),
    )
    .where(UserRole.tenant_id == bindparam("tenant_id"), UserRole.user_id == bindparam("user_id"))
)


async def load_grants(source: Reader, user_id: int) -> ScopedGrants:
    """Every capability ``user_id`` holds, per scope, in one query (presets expanded)."""
    db, tenant_id = _runner(source)
    rows = await db.rows(_GRANTS, {"tenant_id": tenant_id, "user_id": user_id})
    collected: dict[int | None, set[str]] = {}
    for scope_id, preset, permission in rows:
        caps = collected.setdefault(scope_id, set())
        if preset is not None:
            caps |= catalogue.expand_preset(preset)
        if permission is not None:
            caps.add(permission)
    return ScopedGrants({scope: frozenset(caps) for scope, caps in collected.items()})


async def holds(
    source: Reader, grants: ScopedGrants, capability: str, scope_id: int | None
) -> bool:
    """Whether ``capability`` is granted in ``scope_id`` or an ancestor (or tenant-wide)."""
    granted = grants.scopes_with(capability)
    if None in granted:
        return True
    if scope_id is None or not granted:
        return False
    if scope_id in granted:
        return True
    return bool(granted & await ancestor_ids(source, [scope_id]))


@dataclass(frozen=True)
class Reach:
    """Where a capability reaches: everywhere in the tenant, or these scopes (and no tenant-level
    rows)."""

    everywhere: bool
    scope_ids: frozenset[int] = frozenset()

    def condition(self, column: ScopeColumn) -> ColumnElement[bool]:
        """A WHERE clause keeping rows whose scope ``column`` is within reach."""
        if self.everywhere:
            return true()
        if not self.scope_ids:
            return false()
        return in_ids(column, self.scope_ids)

    def includes(self, scope_id: int | None) -> bool:
        return self.everywhere or (scope_id is not None and scope_id in self.scope_ids)

    def __or__(self, other: Reach) -> Reach:
        if self.everywhere or other.everywhere:
            return Reach(True)
        return Reach(False, self.scope_ids | other.scope_ids)


async def reach(source: Reader, grants: ScopedGrants, capability: str) -> Reach:
    """The scopes where ``capability`` applies: each granted scope and everything below it."""
    granted = grants.scopes_with(capability)
    if None in granted:
        return Reach(True)
    scoped = [scope for scope in granted if scope is not None]
    if not scoped:
        return Reach(False)
    db, tenant_id = _runner(source)
    below = await db.rows(descendants_select(tenant_id, scoped))
    return Reach(False, frozenset(row[0] for row in below))


class AmongIds(ColumnElement[bool]):
    """``column`` is one of a list of ids: ``= ANY($n::BIGINT[])`` on PostgreSQL, with the
    whole list one bound array, and ``IN (…)`` with the ids written in elsewhere.

    PostgreSQL plans one array parameter as a list it can look up in an index, and the SQL
    text is the same whatever the ids, so the statement is prepared once per connection and
    its plan cached. A list of bound scalars made the cached generic plan test every row
    against every parameter in turn (a 365-id subtree over 100 k grants: 1.2 s); ids written
    in made every scope set a new statement to parse, plan and prepare.
    """

    inherit_cache = True
    _is_implicitly_boolean = True
    type = Boolean()
    _traverse_internals = [
        ("listed", InternalTraversal.dp_clauseelement),
        ("among", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, column: ScopeColumn, ids: Iterable[int]) -> None:
        values = sorted(set(ids))
        self.listed = column.in_(bindparam(None, values, expanding=True, literal_execute=True))
        self.among = column == any_(bindparam(None, values, type_=ARRAY(BigInteger)))


@compiles(AmongIds)
def _listed(element: AmongIds, compiler: SQLCompiler, **kw: Any) -> str:
    return str(compiler.process(element.listed, **kw))


@compiles(AmongIds, "postgresql")
def _among(element: AmongIds, compiler: SQLCompiler, **kw: Any) -> str:
    return str(compiler.process(element.among, **kw))


def in_ids(column: ScopeColumn, ids: Iterable[int]) -> ColumnElement[bool]:
    """``column IN (…)`` for a list of scope ids, as each engine plans it best
    (:class:`AmongIds`)."""
    return AmongIds(column, ids)


def in_scopes(
    column: ColumnElement[int | None], scope_ids: Iterable[int | None]
) -> ColumnElement[bool]:
    """``column`` is one of ``scope_ids``, where ``None`` matches tenant-level (NULL) rows."""
    wanted = set(scope_ids)
    concrete = sorted(s for s in wanted if s is not None)
    clauses: list[ColumnElement[bool]] = []
    if concrete:
        clauses.append(in_ids(column, concrete))
    if None in wanted:
        clauses.append(column.is_(None))
    return or_(*clauses) if clauses else false()
