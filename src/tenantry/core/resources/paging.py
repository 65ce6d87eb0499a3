"""Pages of a list: stable order, a total, and deep pages that stay cheap.

Every order ends with the row id (ties would otherwise shuffle rows between pages). A deep
page is a deferred join: its ids come from the narrow index first, then only those rows are
read in full, so page 2000 does not read 100,000 wide rows to throw them away. A page before
:data:`DEEP_OFFSET` reads its rows straight from the ordered select: the join would save
nothing there, and PostgreSQL plans it in a quarter of the time (0.2 against 0.8 ms a call).
The total is one count, skipped when the page already tells it (a first page shorter than
the limit).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, func

__all__ = [
    "DEEP_OFFSET",
    "PageStatements",
    "count_of",
    "known_total",
    "order_keys",
    "page_of",
    "paged",
]

DEEP_OFFSET = 1000
"""From this offset on a page is a deferred join."""


def order_keys(
    column: ColumnElement[Any], id_column: ColumnElement[Any], *, descending: bool
) -> list[ColumnElement[Any]]:
    """``ORDER BY column, id`` in one direction (just ``id`` when ordering by id)."""
    keys = [column] if column is id_column else [column, id_column]
    return [key.desc() if descending else key.asc() for key in keys]


def page_of(
    statement: Select[Any],
    id_column: ColumnElement[Any],
    order: Sequence[ColumnElement[Any]],
    limit: Any,
    offset: Any,
) -> Select[Any]:
    """``statement``'s rows ``offset`` to ``offset + limit`` in ``order``, as a deferred
    join (``limit``/``offset``: values or bind parameters of a prepared statement)."""
    ids = (
        statement.with_only_columns(id_column.label("page_id"), maintain_column_froms=True)
        .order_by(*order)
        .limit(limit)
        .offset(offset)
        .subquery("page")
    )
    return statement.join(ids, id_column == ids.c.page_id).order_by(*order)


def _straight(
    statement: Select[Any], order: Sequence[ColumnElement[Any]], limit: Any, offset: Any
) -> Select[Any]:
    """The page read straight from the ordered select."""
    return statement.order_by(*order).limit(limit).offset(offset)


def paged(
    statement: Select[Any],
    id_column: ColumnElement[Any],
    order: Sequence[ColumnElement[Any]],
    limit: Any,
    offset: Any,
) -> Select[Any]:
    """The page as :func:`page_of` at or past :data:`DEEP_OFFSET` (``offset`` a value),
    else straight from the ordered select."""
    if offset >= DEEP_OFFSET:
        return page_of(statement, id_column, order, limit, offset)
    return _straight(statement, order, limit, offset)


@dataclass(frozen=True)
class PageStatements:
    """A listing's page prepared both ways (``limit``/``offset`` bind parameters)."""

    shallow: Select[Any]
    deep: Select[Any]

    @classmethod
    def of(
        cls,
        statement: Select[Any],
        id_column: ColumnElement[Any],
        order: Sequence[ColumnElement[Any]],
        limit: Any,
        offset: Any,
    ) -> PageStatements:
        return cls(
            _straight(statement, order, limit, offset),
            page_of(statement, id_column, order, limit, offset),
        )

    def at(self, offset: int) -> Select[Any]:
        return self.deep if offset >= DEEP_OFFSET else self.shallow


def count_of(statement: Select[Any]) -> Select[Any]:
    """The number of rows ``statement`` selects (same FROM and WHERE, no order)."""
    return statement.with_only_columns(func.count(), maintain_column_froms=True).order_by(None)


def known_total(offset: int, limit: int, fetched: int) -> int | None:
    """The total a page already tells: a first page shorter than the limit holds every row."""
    return fetched if offset == 0 and fetched < limit else None
