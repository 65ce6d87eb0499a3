"""The metadata filters of the post and asset lists (reference §2.8):
``metadata.<schema>.<path>=csv``, ``has_metadata.<schema>.<path>=true|false`` and
``metadata.<schema>.<path>.from``/``.to``.

A key is read as the reference says: after ``metadata.`` comes the schema id
(``schema:\\d[_\\d]*``) up to the next ``.``, then the field path (``/`` nests), then an
optional ``.from`` (inclusive) or ``.to`` (exclusive). The key's syntax is checked while the
query is parsed; what it names (a readable metadata schema for the listed kind, a field path
of it, a date for a range) when the filter applies. Each filter is an ``EXISTS`` on the
flattened values (:mod:`.metadata_index`) of the listed object's record of that schema;
filters AND together, the values of one CSV OR. A versioned id (``schema:3_2``) checks the
path against that version; records of every version match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import ColumnElement, Exists, Select, and_, exists, not_, or_
from sqlalchemy.orm import InstrumentedAttribute

from tenantry.core.errors import Forbidden
from tenantry.core.resources.scoped import of_tenant
from tenantry.percolate.api.context import V5Context
from tenantry.percolate.api.ids import invalid
from tenantry.percolate.api.params import MAX_TEXT, family_param, parse_moment
from tenantry.percolate.api.resource import ListFilter
from tenantry.percolate.metadata.index import FieldPath, field_paths, number_text
from tenantry.percolate.metadata.models import MetadataValue
from tenantry.percolate.schema import declaration as schemas
from tenantry.percolate.schema import service as schema_rules
from tenantry.percolate.schema.definition import KEY_PATTERN

__all__ = ["MetadataFilter", "metadata_filters", "parse_key"]

Operator = Literal["in", "from", "to", "has"]
MAX_VALUES = 100
_KEY = re.compile(
    r"^(?P<family>metadata|has_metadata)\.(?P<schema>schema:\d[_\d]*)\.(?P<path>[^.]+)"
    r"(?:\.(?P<op>from|to))?$"
)
_SEGMENT = re.compile(KEY_PATTERN)
_TRUE, _FALSE = {"true", "1"}, {"false", "0"}


@dataclass(frozen=True)
class MetadataFilter:
    """One parsed key and its value: ``in`` a CSV, ``from``/``to`` a moment, ``has`` a bool."""

    key: str
    schema: str
    path: str
    op: Operator
    values: tuple[str, ...] = ()
    moment: datetime | None = None
    present: bool = True

    def echo(self) -> Any:
        if self.op == "has":
            return self.present
        if self.moment is not None:
            return self.moment.isoformat()
        return list(self.values)


def parse_key(key: str, raw: str) -> MetadataFilter:
    """A filter from its query key and raw value; 400 naming the key when malformed."""
    match = _KEY.match(key)
    if match is None:
        raise invalid(key, "Expected metadata.<schema id>.<field path>[.from|.to].", key[:200])
    path, op = match.group("path"), match.group("op")
    if not all(_SEGMENT.match(segment) for segment in path.split("/")):
        raise invalid(key, "The field path is keys separated by /.", path[:200])
    text = raw.strip()
    schema = match.group("schema")
    if match.group("family") == "has_metadata":
        if op is not None or text.lower() not in _TRUE | _FALSE:
            raise invalid(key, f"{key} is true or false.", text[:200])
        return MetadataFilter(key, schema, path, "has", present=text.lower() in _TRUE)
    if op is not None:
        bound: Operator = "from" if op == "from" else "to"
        return MetadataFilter(key, schema, path, bound, moment=parse_moment(key, raw))
    values = tuple(dict.fromkeys(v.strip() for v in raw.split(",") if v.strip()))
    if not values or len(values) > MAX_VALUES:
        raise invalid(key, f"{key} takes 1 to {MAX_VALUES} comma-separated values.", raw[:200])
    for value in values:
        if len(value) > MAX_TEXT:
            raise invalid(key, f"Values of {key} are at most {MAX_TEXT} characters.", value[:200])
    return MetadataFilter(key, schema, path, "in", values=values)


@dataclass(frozen=True)
class _Target:
    """The listed kind: its ``object_kind`` in the index, schema resource type and key."""

    kind: str
    noun: str
    key: Any


async def _paths(
    ctx: V5Context, target: _Target, found: MetadataFilter
) -> tuple[int, dict[str, FieldPath]]:
    """The schema's key and its (named or current) version's paths; 400 unless it is a
    metadata schema for the listed kind the caller may read."""
    ref = schemas.parse_schema_ref(found.schema, found.key)
    try:
        schema, version = await schema_rules.load_version(ctx, ref, found.key, found.schema)
    except Forbidden:
        raise invalid(found.key, "Unknown schema.", found.schema) from None
    if schema.type != "metadata":
        raise invalid(found.key, "The schema is not a metadata schema.", found.schema)
    types = set(schema.limit_resource_types or [])
    if "all" not in types and target.kind not in types:
        raise invalid(found.key, f"The schema does not apply to {target.noun}.", found.schema)
    return schema.id, field_paths(schema_rules.compiled(version).definition)


def _exists(
    ctx: V5Context, target: _Target, schema_id: int, paths: tuple[str, ...], *conditions: Any
) -> Exists:
    """A value row of the listed object's record of ``schema_id`` at one of ``paths``."""
    return exists().where(
        of_tenant(MetadataValue, ctx.tenant_id),
        MetadataValue.schema_id == schema_id,
        MetadataValue.path.in_(paths) if len(paths) > 1 else MetadataValue.path == paths[0],
        MetadataValue.object_kind == target.kind,
        MetadataValue.object_key == target.key,
        *conditions,
    )


def _equal_moment(key: str, raw: str) -> ColumnElement[bool]:
    """A date matches that whole day (UTC); a date-time that instant."""
    start = parse_moment(key, raw)
    if len(raw) == 10:
        return and_(
            MetadataValue.value_time >= start,
            MetadataValue.value_time < start + timedelta(days=1),
        )
    return MetadataValue.value_time == start


def _matching(found: MetadataFilter, field: FieldPath) -> ColumnElement[bool]:
    if field.kind == "text":
        return MetadataValue.value_text.in_(found.values)
    if field.kind == "number":
        numbers = [number_text(value) for value in found.values]
        for value, number in zip(found.values, numbers, strict=True):
            if number is None:
                raise invalid(found.key, f"{found.path} holds numbers.", value)
        return MetadataValue.value_text.in_(numbers)
    if field.kind == "date":
        return or_(*(_equal_moment(found.key, value) for value in found.values))
    raise invalid(
        found.key,
        f"{found.path} is a {field.kind} field: filter one of its parts"
        f" ({', '.join(field.leaves) or 'none'}) or test it with has_metadata.",
    )


async def _field(ctx: V5Context, target: _Target, found: MetadataFilter) -> tuple[int, FieldPath]:
    schema_id, paths = await _paths(ctx, target, found)
    field = paths.get(found.path)
    if field is None:
        raise invalid(found.key, "The path is not a field of the schema.", found.path)
    return schema_id, field


async def _condition(ctx: V5Context, target: _Target, found: MetadataFilter) -> ColumnElement[bool]:
    """An ``in`` or ``has`` filter as one correlated ``EXISTS`` on the values."""
    schema_id, field = await _field(ctx, target, found)
    if found.op == "has":
        held = _exists(ctx, target, schema_id, field.leaves)
        return held if found.present else not_(held)
    return _exists(ctx, target, schema_id, (field.path,), _matching(found, field))


def _bound(found: MetadataFilter) -> ColumnElement[bool]:
    assert found.moment is not None
    if found.op == "from":
        return MetadataValue.value_time >= found.moment
    return MetadataValue.value_time < found.moment


async def _range_condition(
    ctx: V5Context, target: _Target, bounds: list[MetadataFilter]
) -> ColumnElement[bool]:
    """``.from`` and/or ``.to`` on one path. On a date both bounds hold for one value (one
    ``EXISTS`` over that value's index range, not two over half-open ones); on a date range
    the stored range overlaps the asked one: it ends on or after ``.from`` and starts before
    ``.to``."""
    schema_id, field = await _field(ctx, target, bounds[0])
    if field.kind == "date":
        return _exists(ctx, target, schema_id, (field.path,), *(_bound(found) for found in bounds))
    if field.kind == "date-range":
        start, end = field.leaves
        return and_(
            *(
                _exists(
                    ctx,
                    target,
                    schema_id,
                    (end if found.op == "from" else start,),
                    _bound(found),
                )
                for found in bounds
            )
        )
    found = bounds[0]
    raise invalid(found.key, f"{found.path} is not a date: .from and .to need one.", found.path)


_DESCRIPTION = (
    " `{schema}` is a metadata schema id (`schema:12`, or `schema:12_3` to check the path"
    " against version 3), `{path}` a field key, `/` descending into a date range"
    " (`dates/from`), a currency (`budget/amount`) or an object-array's sub-fields."
)


def metadata_filters(kind: str, key: InstrumentedAttribute[int], noun: str) -> ListFilter:
    """The ``metadata.*`` and ``has_metadata.*`` filters of the list of ``kind`` objects
    (``key`` their id column; ``noun`` their plural in descriptions and errors)."""
    target = _Target(kind, noun, key)
    values_param = family_param(
        "metadata.{schema}.{path}",
        "metadata.",
        f"{noun.capitalize()} whose metadata field holds one of these values (a CSV; numbers"
        " compare as numbers, a date matches its whole day); with a `.from` (inclusive) or"
        " `.to` (exclusive) suffix, a date or date-time bound on a date field, or on a date"
        " range (which then matches when it overlaps)." + _DESCRIPTION,
        parse_key,
        echo=MetadataFilter.echo,
    )
    presence_param = family_param(
        "has_metadata.{schema}.{path}",
        "has_metadata.",
        f"true: {noun} whose metadata field holds a value; false: {noun} where it does not."
        + _DESCRIPTION,
        parse_key,
        schema={"type": "string", "enum": ["true", "false"]},
        echo=MetadataFilter.echo,
    )

    async def apply(stmt: Select[Any], values: dict[str, Any], ctx: V5Context) -> Select[Any]:
        ranges: dict[tuple[str, str], list[MetadataFilter]] = {}
        for family in (values_param.name, presence_param.name):
            for found in values.get(family, {}).values():
                if found.op in ("from", "to"):
                    ranges.setdefault((found.schema, found.path), []).append(found)
                else:
                    stmt = stmt.where(await _condition(ctx, target, found))
        for bounds in ranges.values():
            stmt = stmt.where(await _range_condition(ctx, target, bounds))
        return stmt

    return ListFilter((values_param, presence_param), apply)
