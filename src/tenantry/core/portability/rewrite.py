"""Rewriting one archived row for its new home: new ids, new tenant, new storage keys.

Ids are unique across a whole installation (one allocator), so a single old → new map covers
every table; a reference whose target did not travel (a sentinel ``0``, a since-deleted row)
keeps its value. Strings get two generic rewrites wherever they appear, in columns or deep in
JSON: a typed id (``asset:685``, ``account:1``) and a storage key of the tenant
(``assets/1/685/a.jpg``: its numeric segments are ids or the tenant).
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from tenantry.core.portability.catalogue import TENANT_COLUMN, TablePlan

_TYPED_ID = re.compile(r"^([a-z][a-z_]{0,40}):(\d{1,18})$")


class IdMap:
    """Old id → new id, for the tenant and every row that travelled."""

    def __init__(self, old_tenant: int, new_tenant: int) -> None:
        self.old_tenant = old_tenant
        self.new_tenant = new_tenant
        self._map: dict[int, int] = {old_tenant: new_tenant}
        self._key_prefix = re.compile(rf"^[a-z][a-z0-9_-]*/{old_tenant}/\S+$")

    def __len__(self) -> int:
        return len(self._map)

    def add(self, old: int, new: int) -> None:
        self._map[old] = new

    def __contains__(self, old: int) -> bool:
        return old in self._map

    def id(self, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return self._map.get(value, value)
        return value

    def segments(self, value: str) -> str:
        """``/619/620/`` or ``assets/1/685/a.jpg`` with each numeric segment mapped."""
        return "/".join(
            str(self._map.get(int(part), part)) if part.isdigit() and len(part) <= 18 else part
            for part in value.split("/")
        )

    def string(self, value: str) -> str:
        typed = _TYPED_ID.match(value)
        if typed is not None:
            return f"{typed.group(1)}:{self.id(int(typed.group(2)))}"
        if self._key_prefix.match(value):
            return self.segments(value)
        return value

    def deep(self, value: Any, *, ints: bool) -> Any:
        """``value`` (decoded JSON) with strings rewritten, and integers too when ``ints``."""
        if isinstance(value, str):
            return self.string(value)
        if isinstance(value, list):
            return [self.deep(item, ints=ints) for item in value]
        if isinstance(value, dict):
            return {key: self.deep(item, ints=ints) for key, item in value.items()}
        if ints:
            return self.id(value)
        return value

    def is_storage_key(self, value: str) -> bool:
        return bool(self._key_prefix.match(value))


def rewrite_row(plan: TablePlan, row: dict[str, Any], ids: IdMap) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in row.items():
        if name == TENANT_COLUMN:
            out[name] = ids.new_tenant
        elif value is None or name in plan.cleared:
            out[name] = None
        elif name in plan.id_columns:
            out[name] = ids.id(value)
        elif name in plan.path_columns and isinstance(value, str):
            out[name] = ids.segments(value)
        elif name in plan.json_id_lists:
            out[name] = ids.deep(value, ints=True)
        elif isinstance(value, str):
            out[name] = ids.string(value)
        elif isinstance(value, list | dict):
            out[name] = ids.deep(value, ints=False)
        else:
            out[name] = value
    for name in plan.secrets:
        out[name] = secrets.token_urlsafe(32)
    return out


def storage_keys(value: Any, ids: IdMap) -> list[str]:
    """Every storage key of the tenant inside ``value`` (a cell, maybe JSON)."""
    if isinstance(value, str):
        return [value] if ids.is_storage_key(value) else []
    if isinstance(value, list):
        return [key for item in value for key in storage_keys(item, ids)]
    if isinstance(value, dict):
        return [key for item in value.values() for key in storage_keys(item, ids)]
    return []
