"""How one value becomes one cell: typed ids, timestamps, multi-value cells, and the
spreadsheet-formula guard.

The guard follows OWASP's CSV-injection advice: a text cell starting with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return would be run as a formula by Excel, LibreOffice or
Google Sheets, so it gets a leading single quote (shown as text, the value intact after it);
and every cell is quoted (the writer uses ``QUOTE_ALL``). Only the CSV is guarded: the JSON
preview shows values as they are.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, Final

from tenantry.percolate.api.wire import timestamp

Cell = str | int | None
Convert = Callable[[Any], Cell]

MULTI_VALUE_SEPARATOR: Final = "; "
"""Between the values of one multi-value cell (tags, ids): a semicolon, so a CSV reader's
comma splitting never cuts a cell apart."""
FORMULA_TRIGGERS: Final = ("=", "+", "-", "@", "\t", "\r")
_TRIGGERS: Final = frozenset(FORMULA_TRIGGERS)


def text(value: Any) -> Cell:
    return None if value is None else str(value)


def moment(value: datetime | None) -> Cell:
    return timestamp(value)


def number(value: Any) -> Cell:
    return None if value is None else int(value)


def typed_id(prefix: str) -> Convert:
    """``7`` → ``post:7``."""
    head = f"{prefix}:"
    return lambda key: None if key is None else head + str(key)


def many(convert: Convert = text) -> Convert:
    """A JSON list → one cell, its values joined by :data:`MULTI_VALUE_SEPARATOR`."""

    def join(values: Any) -> Cell:
        if isinstance(values, str):  # JSON as the driver's raw text (the PostgreSQL cursor)
            values = json.loads(values)
        if not values:
            return ""
        return MULTI_VALUE_SEPARATOR.join(str(convert(value)) for value in values)

    return join


def neutralise(cell: Cell) -> Cell:
    """The formula guard for one CSV cell (numbers are left alone)."""
    if cell and isinstance(cell, str) and cell[0] in _TRIGGERS:
        return "'" + cell
    return cell
