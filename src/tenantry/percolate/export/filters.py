"""An export request read and checked: its type, fields, scopes, date ranges and preview
limit, turned into the :class:`~.sources.Plan` both the preview and the job run.

Refusals are Percolate's 400s naming the input (``$.fields``, ``$.created_at:from``…), and
its 403 when the caller may not export this type at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, Final

from tenantry.core.scopes import Reach, descendants_select
from tenantry.percolate.api.context import V5Context, forbidden
from tenantry.percolate.api.ids import ScopeRef, invalid, parse_scope
from tenantry.percolate.export.catalog import CATALOG, DATE, FIELDS, TYPES
from tenantry.percolate.export.sources import SOURCES, Plan

DEFAULT_LIMIT: Final = 10
MAX_LIMIT: Final = 100
EXPORT_CAPABILITY: Final = "export:read"
_EXPORT_ID = re.compile(r"^export:\d+$")
_BOUNDS: Final = ("from", "to")


def moment_of(value: str) -> datetime:
    """An ISO 8601 date or date-time (naive means UTC)."""
    parsed = datetime.fromisoformat(value)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def export_type(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise invalid("type", "The type is required.", value)
    if value not in CATALOG:
        raise invalid("type", f"The type must be one of {', '.join(TYPES)}.", value)
    return value


def field_list(type_: str, value: object) -> tuple[str, ...]:
    """The requested fields in request order (default: the type's whole table)."""
    if value is None or value == "" or value == []:
        return tuple(field.key for field in CATALOG[type_])
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not all(isinstance(item, str) for item in items):
        raise invalid("fields", "The fields are a list of field names.", value)
    keys = tuple(item.strip() for item in items)
    unknown = [key for key in keys if key not in FIELDS[type_]]
    if unknown:
        raise invalid("fields", f"Not a field of {type_} exports: {', '.join(unknown)}.", value)
    if len(set(keys)) != len(keys):
        raise invalid("fields", "A field is named twice.", value)
    return keys


def scope_refs(value: object) -> list[ScopeRef]:
    if value is None or value == "" or value == []:
        return []
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise invalid("scope_ids", "The scope ids are a list.", value)
    return [parse_scope(item, "scope_ids") for item in items]


def check_ids(value: object) -> None:
    """``ids`` as the seed patterns them (``export:N``); they name no exported row."""
    if value in (None, ""):
        return
    for item in str(value).split(","):
        if not _EXPORT_ID.match(item):
            raise invalid("ids", "Each id matches ^export:\\d+$.", item)


def preview_limit(value: object) -> int:
    if value in (None, ""):
        return DEFAULT_LIMIT
    text = str(value)
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= MAX_LIMIT:
        raise invalid("limit", f"The limit is a number from 1 to {MAX_LIMIT}.", value)
    return int(text)


def date_ranges(type_: str, params: Mapping[str, Any]) -> dict[str, tuple[str | None, str | None]]:
    """Every ``FIELD:from`` (inclusive) / ``FIELD:to`` (exclusive) among ``params``."""
    ranges: dict[str, list[str | None]] = {}
    for name, raw in params.items():
        key, colon, bound = name.rpartition(":")
        if not colon or bound not in _BOUNDS or not key:
            continue
        known = FIELDS[type_].get(key)
        if known is None or known.kind != DATE:
            raise invalid(name, f"{key} is not a date field of {type_} exports.", raw)
        try:
            value = moment_of(str(raw)).isoformat()
        except ValueError:
            raise invalid(name, "Not an ISO 8601 date or date-time.", raw) from None
        ranges.setdefault(key, [None, None])[_BOUNDS.index(bound)] = value
    for key, (start, end) in ranges.items():
        if start is not None and end is not None and moment_of(start) > moment_of(end):
            raise invalid(f"{key}:to", f"{key}:to is before {key}:from.", end)
    return {key: (start, end) for key, (start, end) in ranges.items()}


def _meet(left: Reach, right: Reach) -> Reach:
    if left.everywhere:
        return right
    if right.everywhere:
        return left
    return Reach(False, left.scope_ids & right.scope_ids)


async def allowed_scopes(
    ctx: V5Context, type_: str, refs: Iterable[ScopeRef]
) -> tuple[int, ...] | None:
    """Where the rows may be: within reach of ``export:read`` and of the type's own read
    capability, and inside ``scope_ids`` (with their descendants) when given."""
    source = SOURCES[type_]
    reach = _meet(await ctx.reach(EXPORT_CAPABILITY), await ctx.reach(source.capability))
    if not reach.everywhere and not reach.scope_ids:
        raise forbidden("type", type_, "export type")
    if source.scope_column is None:
        if not reach.everywhere:
            raise forbidden("type", type_, "export type")
        return None
    refs = list(refs)
    if refs:
        rows, account, _system = await ctx.filter_scopes(refs)
        if not account:
            below = await ctx.db.rows(descendants_select(ctx.tenant_id, rows)) if rows else []
            reach = _meet(reach, Reach(False, frozenset(row[0] for row in below)))
    return None if reach.everywhere else tuple(sorted(reach.scope_ids))


async def plan_of(
    ctx: V5Context, type_: object, fields: object, scope_ids: object, params: Mapping[str, Any]
) -> Plan:
    kind = export_type(type_)
    keys = field_list(kind, fields)
    refs = scope_refs(scope_ids)
    dates = date_ranges(kind, params)
    scopes = await allowed_scopes(ctx, kind, refs)
    return Plan(kind, keys, scopes, dates)
