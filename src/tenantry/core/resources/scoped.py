"""Tenant-scoped selects: the tenant predicate, written once for every face.

ORM queries in a tenant session are filtered by the session itself
(:mod:`tenantry.core.tenancy`). Statements that run elsewhere, on a connection or on the
driver's fast path, carry the predicate in their text; these helpers write it, so a face
never spells ``tenant_id =`` by hand. Row-level security on PostgreSQL stays underneath.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, select

__all__ = ["of_tenant", "readable", "same_tenant"]


def _tenant_column(source: Any) -> ColumnElement[int]:
    """``tenant_id`` of an ORM entity (or alias) or of a table / subquery."""
    columns = getattr(source, "c", None)
    column: ColumnElement[int] = columns.tenant_id if columns is not None else source.tenant_id
    return column


def of_tenant(source: Any, tenant: Any) -> ColumnElement[bool]:
    """``source.tenant_id = tenant`` (an id, or a bind parameter of a prepared statement)."""
    condition: ColumnElement[bool] = _tenant_column(source) == tenant
    return condition


def same_tenant(left: Any, right: Any) -> ColumnElement[bool]:
    """Two tenant-owned sources joined within one tenant (composite keys start with it)."""
    return _tenant_column(left) == _tenant_column(right)


def readable(
    columns: Sequence[Any],
    owner: Any,
    tenant: Any,
    *,
    source: Any = None,
    outer: Sequence[tuple[Any, ColumnElement[bool]]] = (),
) -> Select[Any]:
    """``columns`` of ``owner``'s rows in ``tenant``, selected from ``source`` (an inner join,
    say) or ``owner`` itself, each ``(entity, on)`` of ``outer`` left-joined. A face narrows
    it further with its visibility rule.

    Outer joins go through ``Select.outerjoin`` with the mapped entity, never a table-level
    join in ``source``: a tenant session then puts its tenant criteria for the joined entity
    in the ON clause, where it keeps the join outer (in WHERE it would drop every row
    without a match)."""
    stmt = select(*columns).select_from(owner if source is None else source)
    for entity, on in outer:
        stmt = stmt.outerjoin(entity, on)
    return stmt.where(of_tenant(owner, tenant))
