"""Many rows into one table in one statement, cheaply.

SQLAlchemy's multi-row insert processes every value of every row in Python (a log of a
thousand rows a second spends a fifth of a core there). On PostgreSQL the rows go in as one
array per column instead (``INSERT … SELECT … FROM unnest($1::bigint[], …)``), which the
driver encodes in C; JSON columns travel as text and are cast back. Elsewhere (SQLite) the
rows take SQLAlchemy's own multi-row insert. Either way the statement runs in the session's
transaction, under its tenant setting.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

import orjson
from sqlalchemy import JSON, Table, insert
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["insert_rows"]

_PG = postgresql.dialect()  # type: ignore[no-untyped-call]
_MISSING = object()


async def insert_rows(
    session: AsyncSession, model: type[Any], rows: Sequence[Mapping[str, Any]]
) -> None:
    """Insert ``rows`` (values by column name; a missing column takes its scalar or
    callable default) into ``model``'s table. On PostgreSQL values reach the driver as
    they are: no type decorator's bind processing runs, so it suits plain column types."""
    if not rows:
        return
    table: Table = model.__table__
    connection = await session.connection()
    if connection.dialect.name != "postgresql":
        await session.execute(insert(table), [dict(row) for row in rows])
        return
    sql, columns = _unnest_insert(table)
    arrays: list[list[Any]] = [[] for _ in columns]
    for row in rows:
        for array, (name, is_json, default) in zip(arrays, columns, strict=True):
            value = row.get(name, _MISSING)
            if value is _MISSING:
                value = default() if callable(default) else default
            if is_json and value is not None:
                value = orjson.dumps(value).decode()
            array.append(value)
    driver: Any = (await connection.get_raw_connection()).driver_connection
    await driver.execute(sql, *arrays)


@cache
def _unnest_insert(table: Table) -> tuple[str, tuple[tuple[str, bool, Any], ...]]:
    """The statement for ``table`` and, per column, its name, whether it is JSON and its
    default."""
    names, arrays, selected, columns = [], [], [], []
    for position, column in enumerate(table.columns, start=1):
        is_json = isinstance(column.type, JSON)
        sql_type = column.type.compile(dialect=_PG)
        names.append(f'"{column.name}"')
        arrays.append(f"${position}::{'text' if is_json else sql_type}[]")
        selected.append(f"c{position}::{sql_type}" if is_json else f"c{position}")
        columns.append((column.name, is_json, _default_of(column)))
    aliases = ", ".join(f"c{position}" for position in range(1, len(columns) + 1))
    sql = (
        f'INSERT INTO "{table.name}" ({", ".join(names)}) SELECT {", ".join(selected)}'
        f" FROM unnest({', '.join(arrays)}) AS t({aliases})"
    )
    return sql, tuple(columns)


def _default_of(column: Any) -> Any:
    """A column's Python-side default: a value, a no-argument callable, or ``None``."""
    default = column.default
    if default is None:
        return None
    if default.is_scalar:
        return default.arg
    if default.is_callable:
        return lambda: default.arg(None)
    return None
