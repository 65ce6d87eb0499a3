"""Side-loading: related rows for a whole page at once, one query per relation.

A page names its related rows by key; the keys of every row are gathered (each once, none
already loaded) and fetched with one ``IN`` query, never one query per row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import ARRAY, BigInteger, ColumnElement, any_, bindparam

__all__ = ["among_keys", "keys_to_load"]


def keys_to_load(
    rows: Sequence[Any], keys_of: Callable[[Any], Iterable[Any]], loaded: Iterable[Any] = ()
) -> list[Any]:
    """The distinct non-null keys ``rows`` name, minus those ``loaded`` already, sorted."""
    wanted = {key for row in rows for key in keys_of(row) if key is not None}
    wanted.difference_update(loaded)
    return sorted(wanted)


def among_keys(column: ColumnElement[Any], dialect: str, name: str = "keys") -> ColumnElement[bool]:
    """``column`` is one of the bound parameter ``name``'s keys, in a statement prepared once:
    ``= ANY($n)`` with an array on PostgreSQL (one text whatever the page size), an
    expanding ``IN`` list elsewhere."""
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=ARRAY(BigInteger)))
    return column.in_(bindparam(name, expanding=True))
