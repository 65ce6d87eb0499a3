"""Cells to JSON and back, by column type, so SQLite and PostgreSQL read each other's rows."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import Table


def encode(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, Decimal):
        return str(value)
    return value


def encoders(table: Table) -> dict[str, Callable[[Any], Any]]:
    """Per column, what turns its values into JSON: only the columns whose type needs it,
    so a row's other cells pass through untouched (the export's hot loop)."""
    found: dict[str, Callable[[Any], Any]] = {}
    for column in table.columns:
        kind = python_type(column.type)
        if kind is None or kind in _DECODERS:
            found[column.name] = encode
    return found


def python_type(column_type: Any) -> type | None:
    """The Python type a column's values come back as (``None``: not known)."""
    column_type = getattr(column_type, "impl_instance", column_type)
    try:
        return column_type.python_type  # type: ignore[no-any-return]
    except NotImplementedError:
        return None


_DECODERS: dict[type, Callable[[Any], Any]] = {
    datetime: datetime.fromisoformat,
    date: date.fromisoformat,
    time: time.fromisoformat,
    bytes: base64.b64decode,
    Decimal: Decimal,
}


def decoders(table: Table) -> dict[str, Callable[[Any], Any]]:
    """Per column, what turns its JSON form back into the value the driver expects."""
    found: dict[str, Callable[[Any], Any]] = {}
    for column in table.columns:
        kind = python_type(column.type)
        if kind in _DECODERS:
            found[column.name] = _DECODERS[kind]
    return found


def decode_row(row: dict[str, Any], decode: dict[str, Callable[[Any], Any]]) -> dict[str, Any]:
    for name, convert in decode.items():
        value = row.get(name)
        if value is not None:
            row[name] = convert(value)
    return row
