"""Where in a library: ``folder:<n>`` and the pseudo-folders, and the filter they make.

``folder:primary`` (alias ``folder:0``) is a scope's root, ``folder:trashcan`` what was
deleted (the rows deleted themselves, not those carried along by a folder's delete),
``folder:shared`` what other scopes shared into this one (Tenantry has no sharing yet, so it
is always empty). Without ``recursive`` a location means its direct contents only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, false, or_

from tenantry.percolate.api.context import V5Context
from tenantry.percolate.api.ids import invalid
from tenantry.percolate.api.params import MAX_CSV_ITEMS, Param
from tenantry.percolate.folder.tree import descendants_of

PRIMARY = "primary"
TRASHCAN = "trashcan"
SHARED = "shared"
ROOT_WIRE = "folder:0"
LOCATION_PATTERN = r"^folder:(primary|trashcan|shared|\d+)$"
_LOCATION = re.compile(LOCATION_PATTERN)


@dataclass(frozen=True)
class Location:
    """A folder (``key``) or a pseudo-folder (``pseudo``: primary, trashcan, shared)."""

    key: int | None = None
    pseudo: str | None = None

    @property
    def is_root(self) -> bool:
        return self.pseudo == PRIMARY

    def wire(self) -> str:
        return f"folder:{self.pseudo}" if self.pseudo else f"folder:{self.key}"


def parse_location(value: object, key: str, *, allowed: tuple[str, ...] = (PRIMARY,)) -> Location:
    """A folder reference; ``folder:0`` means ``folder:primary``; pseudo-folders outside
    ``allowed`` are a 400 naming ``key``."""
    if isinstance(value, str) and (match := _LOCATION.match(value)):
        word = match.group(1)
        if word.isdigit():
            if len(word) > 18:
                raise invalid(key, "The folder id is too long.", value)
            number = int(word)
            return Location(pseudo=PRIMARY) if number == 0 else Location(key=number)
        if word in allowed:
            return Location(pseudo=word)
        raise invalid(key, f"folder:{word} cannot be used here.", value)
    raise invalid(key, "Expected a folder id such as folder:12 or folder:primary.", value)


def locations_param(name: str, description: str) -> Param:
    """A CSV of folder references, pseudo-folders included."""

    def parse(raw: str) -> list[Location]:
        items = [item.strip() for item in raw.split(",") if item.strip()]
        if len(items) > MAX_CSV_ITEMS:
            raise invalid(name, f"At most {MAX_CSV_ITEMS} values.", raw[:200])
        everything = (PRIMARY, TRASHCAN, SHARED)
        return [parse_location(item, name, allowed=everything) for item in items]

    return Param(
        name,
        {"type": "string", "example": "folder:primary"},
        parse,
        f"{description} Each value matches `{LOCATION_PATTERN}` (`folder:0` = primary).",
        echo=lambda found: [location.wire() for location in found],
    )


async def in_locations(
    ctx: V5Context,
    locations: list[Location],
    recursive: bool,
    *,
    folder_column: Any,
    deleted_column: Any,
    trashed_with_column: Any,
) -> ColumnElement[bool]:
    """Rows (folders or assets) at these locations: direct contents, or the whole subtree."""
    alive = deleted_column.is_(False)
    clauses: list[ColumnElement[bool]] = []
    keys = [location.key for location in locations if location.key is not None]
    for location in locations:
        if location.pseudo == PRIMARY:
            clauses.append(alive if recursive else and_(alive, folder_column.is_(None)))
        elif location.pseudo == TRASHCAN:
            trashed = deleted_column.is_(True)
            clauses.append(trashed if recursive else and_(trashed, trashed_with_column.is_(None)))
    if keys:
        folders = set(keys)
        if recursive:
            folders |= await descendants_of(ctx, keys)
        clauses.append(and_(alive, folder_column.in_(sorted(folders))))
    if not clauses:
        return false()
    return or_(*clauses) if len(clauses) > 1 else clauses[0]


async def apply_locations(
    stmt: Select[Any],
    ctx: V5Context,
    locations: list[Location] | None,
    recursive: bool,
    *,
    folder_column: Any,
    deleted_column: Any,
    trashed_with_column: Any,
) -> Select[Any]:
    """The location filter with its default: the root's direct contents."""
    condition = await in_locations(
        ctx,
        locations or [Location(pseudo=PRIMARY)],
        recursive,
        folder_column=folder_column,
        deleted_column=deleted_column,
        trashed_with_column=trashed_with_column,
    )
    return stmt.where(condition)
