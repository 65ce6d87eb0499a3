"""Metadata values flattened to one row per value at its field path (``percolate_metadata_values``),
so the ``metadata.<schema>.<path>`` list filters are index lookups, not JSON scans.

A schema's fields give the paths a filter may name (:func:`field_paths`): a plain field is
its key; a date range has ``<key>/from`` and ``<key>/to``; a currency ``<key>/currency`` and
``<key>/amount``; an ``object-array`` with declared sub-fields nests them (``<key>/<sub>``).
:func:`flatten` turns a record's ``ext`` into rows at those paths (a list field gives a row
per item); :func:`reindex` rewrites a record's rows in the transaction that writes it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from sqlalchemy import delete, insert
from sqlalchemy.ext.asyncio import AsyncSession

from tenantry.core.resources.scoped import of_tenant
from tenantry.percolate.metadata.models import Metadata, MetadataValue
from tenantry.percolate.schema.definition import FieldSpec, SchemaDefinition

__all__ = [
    "MAX_INDEXED_TEXT",
    "FieldPath",
    "IndexedValue",
    "field_paths",
    "flatten",
    "forget",
    "moment_of",
    "number_text",
    "reindex",
]

MAX_INDEXED_TEXT = 255
"""``value_text`` keeps this many characters: equality filters take shorter values, so a cut
value never equals one, and the index entry stays well under PostgreSQL's size limit."""

PathKind = Literal["text", "number", "date", "opaque", "date-range", "group"]


@dataclass(frozen=True)
class FieldPath:
    """A path a filter may name: a leaf holds values (``text``, ``number``, ``date``,
    ``opaque`` free-form items); a ``date-range`` or ``group`` holds the ``leaves`` below."""

    path: str
    kind: PathKind
    leaves: tuple[str, ...]


@dataclass(frozen=True)
class IndexedValue:
    path: str
    text: str | None
    time: datetime | None


def field_paths(definition: SchemaDefinition) -> dict[str, FieldPath]:
    """Every path of the definition's fields, containers included."""
    found: dict[str, FieldPath] = {}
    _paths(definition.fields, "", found)
    return found


def _leaf(found: dict[str, FieldPath], path: str, kind: PathKind) -> str:
    found[path] = FieldPath(path, kind, (path,))
    return path


def _paths(specs: Sequence[FieldSpec], prefix: str, found: dict[str, FieldPath]) -> None:
    for spec in specs:
        path = f"{prefix}{spec.key}"
        if spec.type == "date-range":
            ends = (_leaf(found, f"{path}/from", "date"), _leaf(found, f"{path}/to", "date"))
            found[path] = FieldPath(path, "date-range", ends)
        elif spec.type == "currency":
            parts = (
                _leaf(found, f"{path}/currency", "text"),
                _leaf(found, f"{path}/amount", "number"),
            )
            found[path] = FieldPath(path, "group", parts)
        elif spec.type == "object-array" and spec.fields:
            below: dict[str, FieldPath] = {}
            _paths(spec.fields, f"{path}/", below)
            found.update(below)
            leaves = tuple(p.path for p in below.values() if p.leaves == (p.path,))
            found[path] = FieldPath(path, "group", leaves)
        elif spec.type == "object-array":
            _leaf(found, path, "opaque")
        elif spec.type == "date":
            _leaf(found, path, "date")
        elif spec.type == "number":
            _leaf(found, path, "number")
        else:
            _leaf(found, path, "text")


def number_text(value: object) -> str | None:
    """The canonical text of a number (``20.0000`` and ``20`` are both ``20``), so equal
    numbers compare equal as text; None when ``value`` is not a finite number."""
    if isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    if not number.is_finite():
        return None
    return "0" if number == 0 else format(number.normalize(), "f")


def moment_of(text: str) -> datetime | None:
    """A stored date (midnight UTC) or date-time (in UTC); None when it is neither."""
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(), UTC)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo is not None else None


def _text(value: object) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return number_text(value)
    return value[:MAX_INDEXED_TEXT] if isinstance(value, str) else None


def _scalars(value: Any) -> Iterator[object]:
    """The items of a list field (asset fields nest groups of ids), or the value itself."""
    if isinstance(value, list):
        for item in value:
            yield from _scalars(item)
    elif not isinstance(value, dict):
        yield value


def flatten(definition: SchemaDefinition, ext: Mapping[str, Any]) -> list[IndexedValue]:
    """The rows of a record's (valid) values; empty fields give none."""
    rows: list[IndexedValue] = []
    _values(definition.fields, ext, "", rows)
    return rows


def _values(
    specs: Sequence[FieldSpec], obj: Mapping[str, Any], prefix: str, rows: list[IndexedValue]
) -> None:
    for spec in specs:
        value, path = obj.get(spec.key), f"{prefix}{spec.key}"
        if value is None:
            continue
        if spec.type == "date-range" and isinstance(value, dict):
            for end in ("from", "to"):
                day = value.get(end)
                if isinstance(day, str):
                    rows.append(IndexedValue(f"{path}/{end}", day, moment_of(day)))
        elif spec.type == "currency" and isinstance(value, dict):
            rows.append(IndexedValue(f"{path}/currency", _text(value.get("currency")), None))
            rows.append(IndexedValue(f"{path}/amount", number_text(value.get("amount")), None))
        elif spec.type == "object-array" and isinstance(value, list):
            for item in value:
                if spec.fields and isinstance(item, dict):
                    _values(spec.fields, item, f"{path}/", rows)
                elif not spec.fields:
                    rows.append(IndexedValue(path, None, None))
        elif spec.type == "date" and isinstance(value, str):
            rows.append(IndexedValue(path, value[:MAX_INDEXED_TEXT], moment_of(value)))
        else:
            rows.extend(IndexedValue(path, _text(item), None) for item in _scalars(value))


async def forget(session: AsyncSession, tenant_id: int, metadata_id: int) -> None:
    await session.execute(
        delete(MetadataValue)
        .where(of_tenant(MetadataValue, tenant_id), MetadataValue.metadata_id == metadata_id)
        .execution_options(synchronize_session=False)
    )


async def reindex(session: AsyncSession, record: Metadata, definition: SchemaDefinition) -> None:
    """Replace the record's rows by those of its current ``ext`` (same transaction)."""
    await forget(session, record.tenant_id, record.id)
    rows = flatten(definition, record.ext or {})
    if rows:
        await session.execute(
            insert(MetadataValue),
            [
                {
                    "tenant_id": record.tenant_id,
                    "metadata_id": record.id,
                    "position": position,
                    "object_kind": record.object_kind,
                    "object_key": record.object_key,
                    "schema_id": record.schema_id,
                    "path": row.path,
                    "value_text": row.text,
                    "value_time": row.time,
                }
                for position, row in enumerate(rows)
            ],
        )
