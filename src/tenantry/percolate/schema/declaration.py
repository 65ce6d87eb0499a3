"""The schema resource (reference §3.12): schema ids with their version, wire fields and filters."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Select, Text, and_, bindparam, cast, literal_column, or_, select

from tenantry.core.resources.scoped import of_tenant, same_tenant
from tenantry.core.resources.sql import fixed
from tenantry.percolate.api.common import usable_in_scopes
from tenantry.percolate.api.context import V5Context
from tenantry.percolate.api.fields import (
    WireField,
    column,
    column_list,
    computed,
    constant,
    formatted,
    nullable,
    scope,
    timestamp,
    typed_id,
)
from tenantry.percolate.api.ids import IdKind, invalid
from tenantry.percolate.api.params import choice_param, csv_param
from tenantry.percolate.api.resource import ListFilter, OrderField, Resource
from tenantry.percolate.ids import MAX_KEY_DIGITS
from tenantry.percolate.post.models import Post
from tenantry.percolate.schema.definition import RESOURCE_TYPES, SCHEMA_TYPES
from tenantry.percolate.schema.models import Schema, SchemaVersion

_REF = re.compile(rf"^schema:(\d{{1,{MAX_KEY_DIGITS}}})(?:_(\d{{1,9}}))?$")


@dataclass(frozen=True)
class SchemaRef:
    """``schema:<id>`` (``version`` None: the current one) or ``schema:<id>_<version>``."""

    key: int
    version: int | None


def parse_schema_ref(value: object, key: str) -> SchemaRef:
    """A schema id, versioned or not; 400 naming ``key`` otherwise."""
    match = _REF.match(value) if isinstance(value, str) else None
    if match is None:
        raise invalid(key, "Expected a schema id such as schema:12 or schema:12_3.", value)
    version = match.group(2)
    return SchemaRef(int(match.group(1)), int(version) if version is not None else None)


def encode_version(key: int, version: int) -> str:
    return f"schema:{key}_{version}"


class _SchemaKind(IdKind):
    """Schema ids may carry a version (``schema:12_3``); as a row key it names schema 12."""

    def parse(self, value: object, key: str, *, pattern: bool = False) -> int:
        return parse_schema_ref(value, key).key


KIND = _SchemaKind("schema", list_pattern=r"^schema:\d[_\d]*$")


async def _visible(stmt: Select[Any], ctx: V5Context) -> Select[Any]:
    """Account-wide schemas for anyone holding ``schema:read`` somewhere; scoped ones within
    the caller's reach."""
    reach = await ctx.reach("schema:read")
    if reach.everywhere:
        return stmt
    account = Schema.scope_id.is_(None) if ctx.holds_anywhere("schema:read") else None
    scoped = reach.condition(Schema.scope_id)
    return stmt.where(scoped if account is None else or_(account, scoped))


def version_id(key: Any, version: Any) -> WireField:
    """``schema_id`` of an object validated by a schema version: ``schema:<id>_<version>``."""
    return formatted(
        "schema_id",
        "schema:{}_{}",
        key,
        version,
        schema={"type": "string", "pattern": r"^schema:\d+_\d+$"},
    )


def _definition_part(name: str) -> WireField:
    """One list of the version's definition (``fields``, ``fieldsets``, ``plugins``)."""
    return column(
        SchemaVersion.definition,
        {"type": "array", "items": {"type": "object"}},
        name=name,
        item=name,
    )


_FIRST_POST = (
    select(literal_column("1"))
    .where(same_tenant(Post, Schema), Post.schema_id == Schema.id)
    .limit(1)
    .scalar_subquery()
)
_USED = fixed(
    select(Schema.id).where(
        of_tenant(Schema, bindparam("tenant_id")),
        Schema.id.in_(bindparam("ids", expanding=True)),
        _FIRST_POST.is_not(None),
    )
)


async def _in_use(ctx: V5Context, rows: Any) -> dict[int, dict[str, Any]]:
    """Whether any post uses each schema: per schema, the first such post (``LIMIT 1`` in a
    scalar subquery, which PostgreSQL runs per schema and stops at the first post found; a
    ``DISTINCT``, or an ``EXISTS`` it turns into a semi-join, reads every post of the
    account)."""
    keys = [row["id"] for row in rows]
    found = await ctx.db.rows(_USED, {"tenant_id": ctx.tenant_id, "ids": keys})
    used = {row[0] for row in found}
    return {key: {"in_use": key in used} for key in keys}


async def _filters(stmt: Select[Any], values: dict[str, Any], _ctx: V5Context) -> Select[Any]:
    if "type" in values:
        stmt = stmt.where(Schema.type == values["type"])
    if "statuses" in values:
        stmt = stmt.where(Schema.status.in_(values["statuses"]))
    if "slugs" in values:
        stmt = stmt.where(Schema.slug.in_(values["slugs"]))
    if "ext.channel_types" in values:
        stmt = stmt.where(Schema.channel_type.in_(values["ext.channel_types"]))
    if "ext.platform_ids" in values:
        keys = [int(value.split(":")[1]) for value in values["ext.platform_ids"]]
        stmt = stmt.where(Schema.platform_key.in_(keys))
    types = [t for t in values.get("resource_types", ["all"]) if t != "all"]
    if types:
        # A schema applies to a resource type it names, or to all of them.
        clauses = [_names_type(t) for t in (*types, "all")]
        stmt = stmt.where(or_(*clauses))
    return stmt


def _names_type(resource_type: str) -> Any:
    """``limit_resource_types`` contains ``resource_type`` (JSON text match, both engines)."""
    return cast(Schema.limit_resource_types, Text).contains(f'"{resource_type}"')


_RESOURCE_TYPES = csv_param(
    "resource_types", "Filter by resource type (default all).", enum=RESOURCE_TYPES
)
RESOURCE_TYPES_PARAM = replace(_RESOURCE_TYPES, schema={**_RESOURCE_TYPES.schema, "default": "all"})
_VERSION_WIRE = {"type": "string", "pattern": r"^schema:\d+_\d+$"}
VERSION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["version_id", "provenance_id", "latest_version_id", "previous_version_id"],
    "properties": {
        "version_id": _VERSION_WIRE,
        "provenance_id": {"type": "string", "pattern": r"^schema:\d+$"},
        "latest_version_id": _VERSION_WIRE,
        "previous_version_id": nullable(_VERSION_WIRE),
    },
}


def version_object(key: int, version: int, latest: int) -> dict[str, Any]:
    """``version`` as the vendor's clients map it: this version, the schema it comes from
    (``provenance_id``), the current one and the one before (null for the first)."""
    return {
        "version_id": encode_version(key, version),
        "provenance_id": f"schema:{key}",
        "latest_version_id": encode_version(key, latest),
        "previous_version_id": encode_version(key, version - 1) if version > 1 else None,
    }


_SCHEMA_WIRE = {"type": "string", "pattern": r"^schema:\d+(_\d+)?$"}

RESOURCE = Resource(
    kind=KIND,
    model=Schema,
    title="Schema",
    source=Schema.__table__.join(
        SchemaVersion.__table__,
        and_(
            same_tenant(SchemaVersion, Schema),
            SchemaVersion.schema_id == Schema.id,
            SchemaVersion.version == Schema.version,
        ),
    ),
    fields=(
        typed_id("schema", Schema.id, schema=_SCHEMA_WIRE),
        scope(Schema.scope_id),
        column(Schema.status, {"type": "string", "enum": ["active", "inactive"]}),
        column(Schema.type, {"type": "string", "enum": list(SCHEMA_TYPES)}),
        column(SchemaVersion.name.label("version_name"), {"type": "string"}, name="name"),
        column(Schema.slug, {"type": "string"}),
        _definition_part("fields"),
        _definition_part("fieldsets"),
        _definition_part("plugins"),
        column_list(
            Schema.limit_resource_types,
            {"type": "array", "items": {"type": "string", "enum": list(RESOURCE_TYPES)}},
        ),
        constant("in_use", False, {"type": "boolean"}),
        computed(
            "version",
            lambda row, _ctx: version_object(row["id"], row["version"], row["version"]),
            VERSION_SCHEMA,
            needs=(Schema.version,),
        ),
        column(Schema.ext, nullable({"type": "object"}), empty_as="null"),
        timestamp(Schema.created_at),
        timestamp(Schema.updated_at),
    ),
    enrich=_in_use,
    visible=_visible,
    order_fields={"name": OrderField(Schema.name), "updated_at": OrderField(Schema.updated_at)},
    filters=(
        usable_in_scopes(Schema.scope_id),
        ListFilter(
            (
                choice_param("type", "Filter by type.", SCHEMA_TYPES),
                RESOURCE_TYPES_PARAM,
                csv_param("statuses", "Filter by status.", enum=("active", "inactive")),
                csv_param(
                    "ext.platform_ids",
                    "A CSV to filter by platform IDs.",
                    pattern=r"^platform:\d{1,18}$",
                ),
                csv_param("ext.channel_types", "A CSV to filter by channel type."),
                csv_param("slugs", "A CSV to filter by schema slugs."),
            ),
            _filters,
        ),
    ),
)
