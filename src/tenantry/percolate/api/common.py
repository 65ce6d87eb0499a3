"""Declarations the v5 resources share: scope filters and visibility by capability."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, false, or_, true, union

from tenantry.core.scopes import ancestors_select, descendants_select, in_ids
from tenantry.percolate.api.context import V5Context
from tenantry.percolate.api.ids import ScopeRef
from tenantry.percolate.api.params import bool_param, scope_ids_param
from tenantry.percolate.api.resource import ListFilter, Visibility

__all__ = [
    "EXTEND_SCOPES",
    "applying_in_scopes",
    "owned_by_scopes",
    "usable_in_scopes",
    "visible_in_reach",
]

EXTEND_SCOPES = bool_param(
    "extend_scopes", "Look inside any child scopes in addition to the supplied ones.", False
)
SCOPE_IDS = scope_ids_param()


async def _resolve(values: dict[str, Any], ctx: V5Context) -> tuple[set[int], bool, bool]:
    refs: list[ScopeRef] = values["scope_ids"]
    return await ctx.filter_scopes(refs)


def owned_by_scopes(scope_column: Any, system_column: Any | None = None) -> ListFilter:
    """``scope_ids`` (+ ``extend_scopes``) on objects owned by one scope: rows in those scopes,
    or below them with ``extend_scopes``; ``account:<id>`` is the account's own rows (all
    rows with ``extend_scopes``), ``builtin_scope:system`` the built-ins."""

    async def apply(stmt: Select[Any], values: dict[str, Any], ctx: V5Context) -> Select[Any]:
        if "scope_ids" not in values:
            return stmt
        rows, account, system = await _resolve(values, ctx)
        extend = values.get("extend_scopes", False)
        own: list[ColumnElement[bool]] = []
        if account:
            own.append(true() if extend else scope_column.is_(None))
        if rows:
            if extend:
                own.append(scope_column.in_(descendants_select(ctx.tenant_id, rows)))
            else:
                own.append(in_ids(scope_column, rows))
        clauses: list[ColumnElement[bool]] = []
        if own:
            mine = or_(*own)
            clauses.append(mine if system_column is None else (system_column.is_(False) & mine))
        if system and system_column is not None:
            clauses.append(system_column.is_(True))
        return stmt.where(or_(*clauses) if clauses else false())

    return ListFilter((SCOPE_IDS, EXTEND_SCOPES), apply)


def usable_in_scopes(scope_column: Any, system_column: Any | None = None) -> ListFilter:
    """``scope_ids`` (+ ``extend_scopes``) on definitions a scope inherits from above (schemas,
    platforms): rows owned by those scopes, by any scope above them or by the account, and
    with ``extend_scopes`` also below them; ``builtin_scope:system`` adds the built-ins."""

    async def apply(stmt: Select[Any], values: dict[str, Any], ctx: V5Context) -> Select[Any]:
        if "scope_ids" not in values:
            return stmt
        rows, account, system = await _resolve(values, ctx)
        extend = values.get("extend_scopes", False)
        own: list[ColumnElement[bool]] = []
        if account:
            own.append(true() if extend else scope_column.is_(None))
        if rows:
            parts = [ancestors_select(ctx.tenant_id, rows)]
            if extend:
                parts.append(descendants_select(ctx.tenant_id, rows))
            found = await ctx.db.rows(parts[0] if len(parts) == 1 else union(*parts))
            own.append(in_ids(scope_column, {row[0] for row in found}))
            own.append(scope_column.is_(None))
        clauses: list[ColumnElement[bool]] = []
        if own:
            mine = or_(*own)
            clauses.append(mine if system_column is None else (system_column.is_(False) & mine))
        if system and system_column is not None:
            clauses.append(system_column.is_(True))
        return stmt.where(or_(*clauses) if clauses else false())

    return ListFilter((SCOPE_IDS, EXTEND_SCOPES), apply)


def applying_in_scopes(scope_column: Any, *, hierarchical_param: bool) -> ListFilter:
    """``scope_ids`` on grants: grants made in those scopes, inherited from their ancestors
    (unless ``exclude_hierarchical``), and below them with ``extend_scopes``."""
    exclude = bool_param(
        "exclude_hierarchical",
        "If true, only return user_roles explicitly in the requested scope.",
        False,
    )

    async def apply(stmt: Select[Any], values: dict[str, Any], ctx: V5Context) -> Select[Any]:
        if "scope_ids" not in values:
            return stmt
        rows, account, _system = await _resolve(values, ctx)
        extend = values.get("extend_scopes", False)
        inherited = not values.get("exclude_hierarchical", False)
        if account and extend:
            return stmt
        related = set(rows)
        parts: list[Select[int]] = []
        if rows and extend:
            parts.append(descendants_select(ctx.tenant_id, rows))
        if rows and inherited:
            parts.append(ancestors_select(ctx.tenant_id, rows))
        if parts:
            # Resolved here (one small query) so the database gets a list it can look up in
            # the (tenant_id, scope_id, id) index, instead of probing a subquery per row.
            found = await ctx.db.rows(parts[0] if len(parts) == 1 else union(*parts))
            related.update(row[0] for row in found)
        alternatives: list[ColumnElement[bool]] = []
        if related:
            alternatives.append(in_ids(scope_column, related))
        if account or (rows and inherited):
            alternatives.append(scope_column.is_(None))
        if not alternatives:
            return stmt.where(false())
        if len(alternatives) == 1:
            return stmt.where(alternatives[0])
        # Disjoint: the engine counts each on its own (two index ranges) and ORs them.
        ctx.alternatives.extend(alternatives)
        return stmt

    params = (
        (SCOPE_IDS, EXTEND_SCOPES, exclude) if hierarchical_param else (SCOPE_IDS, EXTEND_SCOPES)
    )
    return ListFilter(params, apply)


def visible_in_reach(
    capability: str, scope_column: Any, system_column: Any | None = None
) -> Visibility:
    """Rows whose scope the caller holds ``capability`` in (or above); built-ins for all."""

    async def visible(stmt: Select[Any], ctx: V5Context) -> Select[Any]:
        reach = await ctx.reach(capability)
        if reach.everywhere:
            return stmt
        condition = reach.condition(scope_column)
        if system_column is not None:
            condition = or_(system_column.is_(True), condition)
        return stmt.where(condition)

    return visible
