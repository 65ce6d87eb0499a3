"""The cells of :mod:`~tenantry.percolate.export.cells`, formatted by PostgreSQL instead:
the same text for the same value, so a CSV that ``COPY`` writes is byte for byte the one
the Python writer makes (the PostgreSQL export path; SQLite keeps the Python one).

A record is one text value: every cell quoted (``"`` doubled inside), cells joined by
``,``; the line end is added on the way out (``COPY`` ends lines with ``\\n`` only).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final

from sqlalchemy import ColumnElement, Text, case, cast, func, literal, literal_column, null, select
from sqlalchemy.dialects.postgresql import JSONB, aggregate_order_by
from sqlalchemy.sql.elements import Cast, ColumnClause, Label
from sqlalchemy.sql.selectable import ScalarSelect
from sqlalchemy.sql.visitors import iterate

from tenantry.percolate.export.cells import FORMULA_TRIGGERS, MULTI_VALUE_SEPARATOR

SqlCell = Callable[[Any], ColumnElement[Any]]
"""An SQL expression (the column's) → the cell's text (``NULL``: an empty cell)."""

WIRE_TIMESTAMP: Final = 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"'
"""``to_char`` pattern of :func:`tenantry.percolate.api.wire.timestamp` (UTC, seconds)."""


def sql_text(expression: Any) -> ColumnElement[Any]:
    return cast(expression, Text)


def sql_moment(expression: Any) -> ColumnElement[Any]:
    return func.to_char(func.timezone("UTC", expression), WIRE_TIMESTAMP)


def sql_typed_id(prefix: str) -> SqlCell:
    """``7`` → ``post:7``."""
    head = f"{prefix}:"
    return lambda expression: literal(head) + cast(expression, Text)


def sql_many(item: Callable[[Any], ColumnElement[Any]] | None = None) -> SqlCell:
    """A JSON list → its values (each through ``item``, text as they are by default) joined
    by the separator, in list order; an empty list, ``null`` or no list → an empty cell. A
    JSON ``null`` in the list reads ``None``, as Python's ``str`` writes it."""

    def join(expression: Any) -> ColumnElement[Any]:
        as_json = cast(expression, JSONB)
        values = func.jsonb_array_elements_text(as_json).table_valued(
            "value", with_ordinality="ordinality"
        )
        value = values.c.value if item is None else item(values.c.value)
        joined = (
            select(
                func.string_agg(
                    func.coalesce(value, "None"),
                    aggregate_order_by(literal(MULTI_VALUE_SEPARATOR), values.c.ordinality),
                )
            )
            .select_from(values)
            .scalar_subquery()
        )
        return case((func.jsonb_typeof(as_json) == "array", joined), else_=null())

    return join


def sql_guard(cell: ColumnElement[Any]) -> ColumnElement[Any]:
    """The formula guard of :func:`~tenantry.percolate.export.cells.neutralise`. A ``CASE``
    names the cell twice, which PostgreSQL computes twice: fine for a column, not for a
    subquery, which gets a regular expression instead (computed once)."""
    if isinstance(cell, ColumnClause | Cast | Label) and not _has_subquery(cell):
        return case(
            (func.left(cell, 1).in_([literal(t) for t in FORMULA_TRIGGERS]), literal("'") + cell),
            else_=cell,
        )
    return func.regexp_replace(cell, literal(_GUARD_PATTERN), literal("'\\&"))


_GUARD_PATTERN: Final = "^[" + "".join(t for t in FORMULA_TRIGGERS if t != "-") + "-]"
"""A bracket expression of the triggers (``-`` last, so it is literal); a tab or CR in it is
the character itself."""


def _has_subquery(cell: ColumnElement[Any]) -> bool:
    return any(isinstance(element, ScalarSelect) for element in iterate(cell))


def sql_record(cells: Sequence[ColumnElement[Any] | None]) -> ColumnElement[Any]:
    """The CSV record of ``cells`` (``None``: a cell Tenantry has no data for), quoted as
    ``csv.QUOTE_ALL`` quotes it; constant stretches (empty cells) become one literal."""
    parts: list[str | ColumnElement[Any]] = []
    for index, cell in enumerate(cells):
        parts.append(',"' if index else '"')
        if cell is not None:
            parts.append(func.coalesce(func.replace(cell, '"', '""'), ""))
        parts.append('"')
    merged: list[str | ColumnElement[Any]] = []
    for part in parts:
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] += part
        else:
            merged.append(part)
    record: ColumnElement[Any] | None = None
    for part in merged:
        element = literal_column(_quoted(part), Text) if isinstance(part, str) else part
        record = element if record is None else record.op("||")(element)
    assert record is not None
    return record


def _quoted(text: str) -> str:
    """``text`` as an SQL string literal (it only ever holds quotes and commas)."""
    return "'" + text.replace("'", "''") + "'"
