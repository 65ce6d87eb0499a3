"""``/api/v5/schema/`` (reference §3.12): typed content definitions, versioned.

A schema's definition (fields, fieldsets, plugins) is checked by :mod:`.definition` and
stored as an immutable :class:`SchemaVersion`; changing it makes the next version. Lists and
``schema:<id>`` answer with the current version, ``schema:<id>_<version>`` with that one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import APIRouter
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Select, Text, and_, cast, exists, or_, select
from starlette.requests import Request
from starlette.responses import Response

from tenantry.core.errors import Conflict, FieldError, ValidationFailed
from tenantry.core.resources.scoped import of_tenant, same_tenant
from tenantry.percolate.api.auth import CallerDep
from tenantry.percolate.api.common import owned_by_scopes
from tenantry.percolate.api.context import V5Context, forbidden, open_context
from tenantry.percolate.api.fields import (
    WireField,
    column,
    column_list,
    constant,
    formatted,
    nullable,
    scope,
    timestamp,
    typed_id,
)
from tenantry.percolate.api.ids import SCOPE_PATTERN, IdKind, invalid, parse_scope
from tenantry.percolate.api.params import choice_param, csv_param
from tenantry.percolate.api.resource import ListFilter, OrderField, Resource
from tenantry.percolate.api.routes import (
    SECURITY,
    Create,
    Update,
    json_response,
    resource_router,
)
from tenantry.percolate.api.runtime import RuntimeDep
from tenantry.percolate.api.schemas import error_responses, single_ref
from tenantry.percolate.ids import MAX_KEY_DIGITS
from tenantry.percolate.post.models import Post
from tenantry.percolate.schema.compile import CompiledSchema, compile_schema
from tenantry.percolate.schema.definition import RESOURCE_TYPES, SCHEMA_TYPES, parse_definition
from tenantry.percolate.schema.models import Schema, SchemaVersion
from tenantry.percolate.schema.references import (
    collect_references,
    missing_reference_errors,
    references_by_kind,
)
from tenantry.percolate.schema.validate import validate_values
from tenantry.percolate.term.models import Term

__all__ = [
    "KIND",
    "RESOURCE",
    "SchemaRef",
    "check_values",
    "compiled",
    "encode_version",
    "load_version",
    "parse_schema_ref",
    "router",
]

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


async def load_version(
    ctx: V5Context, ref: SchemaRef, key: str, wire: str
) -> tuple[Schema, SchemaVersion]:
    """The schema and the version ``ref`` names, if the caller may read it (else 403)."""
    schema = await ctx.get(Schema, (ctx.tenant_id, ref.key))
    if schema is None or not await _readable(ctx, schema.scope_id):
        raise forbidden(key, wire, "schema")
    version = await ctx.get(SchemaVersion, (ctx.tenant_id, ref.key, ref.version or schema.version))
    if version is None:
        raise forbidden(key, wire, "schema")
    return schema, version


async def check_values(
    ctx: V5Context, version: SchemaVersion, values: dict[str, Any], root: str = "$.ext"
) -> None:
    """``values`` valid for ``version`` (400 keyed by the bad path); the terms they name
    exist in this account (asset, link and attachment ids are checked for shape only: those
    objects are not part of this server yet)."""
    checker = compiled(version)
    problems = validate_values(checker, values, root=root)
    if problems:
        raise ValidationFailed("The values do not match their schema.", problems)
    references = collect_references(checker, values, root=root)
    terms = references_by_kind(references).get("term", set())
    keys = {int(t.split(":")[1]) for t in terms if t.split(":")[1].isdigit()}
    found = set(
        (
            await ctx.session.scalars(
                select(Term.id).where(of_tenant(Term, ctx.tenant_id), Term.id.in_(keys))
            )
        ).all()
    )
    missing = missing_reference_errors(references, {"term": {f"term:{key}" for key in found}})
    if missing:
        raise ValidationFailed("The values name objects that do not exist.", missing)


def compiled(version: SchemaVersion) -> CompiledSchema:
    """The version's compiled validator (cached by id and version: versions never change)."""
    return compile_schema(version.definition, schema_id=version.schema_id, version=version.version)


async def _readable(ctx: V5Context, scope_id: int | None) -> bool:
    if scope_id is None:
        return ctx.holds_anywhere("schema:read")
    return (await ctx.reach("schema:read")).includes(scope_id)


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


async def _in_use(ctx: V5Context, rows: Any) -> dict[int, dict[str, Any]]:
    keys = [row["id"] for row in rows]
    found = await ctx.db.rows(
        select(Post.schema_id)
        .where(of_tenant(Post, ctx.tenant_id), Post.schema_id.in_(keys))
        .distinct()
    )
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
        column(Schema.version, {"type": "integer", "minimum": 1}),
        column(Schema.ext, nullable({"type": "object"}), empty_as="null"),
        timestamp(Schema.created_at),
        timestamp(Schema.updated_at),
    ),
    enrich=_in_use,
    visible=_visible,
    order_fields={"name": OrderField(Schema.name), "updated_at": OrderField(Schema.updated_at)},
    filters=(
        owned_by_scopes(Schema.scope_id),
        ListFilter(
            (
                choice_param("type", "Filter by type.", SCHEMA_TYPES),
                csv_param("resource_types", "Filter by resource type.", enum=RESOURCE_TYPES),
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

_TYPE = Literal[
    "campaign_section", "post", "targeting", "metadata", "post_attachment", "intake_request"
]
_RESOURCE_TYPE = Literal[
    "all", "asset", "campaign", "campaign_section", "channel", "monitoring_flag", "post",
    "targeting", "task",
]  # fmt: skip


class SchemaBody(BaseModel):
    """What create and update share."""

    model_config = ConfigDict(extra="ignore")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    fields: list[Any] | None = Field(default=None, max_length=500)
    fieldsets: list[Any] | None = Field(default=None, max_length=100)
    plugins: list[Any] | None = Field(default=None, max_length=100)
    limit_resource_types: list[_RESOURCE_TYPE] | None = Field(default=None, max_length=20)
    ext: dict[str, Any] | None = None
    status: Literal["active", "inactive"] | None = None


class SchemaCreate(SchemaBody):
    name: str = Field(min_length=1, max_length=200)
    type: _TYPE
    scope_id: str | None = Field(default=None, pattern=SCOPE_PATTERN)
    slug: str | None = Field(default=None, min_length=1, max_length=200, pattern=r"^[\w-]+$")


class SchemaUpdate(SchemaBody):
    pass


def _slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:180] or "schema"


def _definition(body: SchemaBody, current: dict[str, Any] | None) -> dict[str, Any]:
    """The checked definition: the body's parts, the current version's for the rest."""
    base = current or {}
    raw = {
        "fields": body.fields if body.fields is not None else base.get("fields", []),
        "fieldsets": body.fieldsets if body.fieldsets is not None else base.get("fieldsets", []),
        "plugins": body.plugins if body.plugins is not None else base.get("plugins", []),
    }
    return parse_definition(raw).as_json()


def _ext_keys(schema_type: str, ext: dict[str, Any] | None) -> tuple[int | None, str | None]:
    """``ext.platform_id`` and ``ext.channel_type`` of a post schema, checked."""
    if ext is None:
        return None, None
    platform_key: int | None = None
    wire = ext.get("platform_id")
    if wire is not None:
        if not isinstance(wire, str) or not re.match(r"^platform:\d{1,18}$", wire):
            raise invalid("ext.platform_id", "Expected a platform id.", wire)
        platform_key = int(wire.split(":")[1])
    channel_type = ext.get("channel_type")
    if channel_type is not None and (not isinstance(channel_type, str) or len(channel_type) > 40):
        raise invalid("ext.channel_type", "Expected a channel type.", channel_type)
    if schema_type != "post" and (platform_key or channel_type):
        raise invalid("ext", "Only post schemas name a platform or channel type.")
    return platform_key, channel_type


def _check_resource_types(schema_type: str, types: list[str]) -> None:
    if schema_type == "post" and len(types) > 1:
        raise invalid(
            "limit_resource_types", "A post schema applies to exactly one resource type.", types
        )


async def _slug_clash(ctx: V5Context, slug: str) -> None:
    taken = await ctx.session.scalar(
        select(exists().where(of_tenant(Schema, ctx.tenant_id), Schema.slug == slug))
    )
    if taken:
        raise Conflict("A schema already has this slug.", [FieldError("slug", "taken", slug)])


async def _create(ctx: V5Context, body: SchemaCreate) -> int:
    scope_id = (
        await ctx.scope_of(parse_scope(body.scope_id, "scope_id"), "scope_id")
        if body.scope_id is not None
        else None
    )
    await ctx.require("schema:manage", scope_id, "scope_id", body.scope_id)
    definition = _definition(body, None)
    types = list(body.limit_resource_types or (["post"] if body.type == "post" else ["all"]))
    _check_resource_types(body.type, types)
    platform_key, channel_type = _ext_keys(body.type, body.ext)
    slug = body.slug or _slugify(body.name)
    await _slug_clash(ctx, slug)
    schema = Schema(
        tenant_id=ctx.tenant_id,
        name=body.name,
        slug=slug,
        type=body.type,
        status=body.status or "active",
        scope_id=scope_id,
        version=1,
        limit_resource_types=types,
        ext=body.ext or {},
        platform_key=platform_key,
        channel_type=channel_type,
    )
    ctx.session.add(schema)
    await ctx.session.flush()
    ctx.session.add(
        SchemaVersion(
            tenant_id=ctx.tenant_id,
            schema_id=schema.id,
            version=1,
            name=body.name,
            definition=definition,
        )
    )
    await ctx.session.flush()
    return schema.id


async def _update(ctx: V5Context, key: int, body: SchemaUpdate) -> None:
    wire = f"schema:{key}"
    schema = await ctx.session.get(Schema, (ctx.tenant_id, key))
    if schema is None or not await _readable(ctx, schema.scope_id):
        raise forbidden("schema_id", wire, "schema")
    await ctx.require("schema:manage", schema.scope_id, "schema_id", wire)
    current = await ctx.session.get(SchemaVersion, (ctx.tenant_id, key, schema.version))
    assert current is not None
    definition = _definition(body, current.definition)
    if body.limit_resource_types is not None:
        _check_resource_types(schema.type, list(body.limit_resource_types))
        schema.limit_resource_types = list(body.limit_resource_types)
    if body.ext is not None:
        schema.platform_key, schema.channel_type = _ext_keys(schema.type, body.ext)
        schema.ext = body.ext
    if body.status is not None:
        schema.status = body.status
    name = body.name or schema.name
    if definition != current.definition or name != current.name:
        # A version never changes: objects written against it must stay readable.
        schema.version += 1
        ctx.session.add(
            SchemaVersion(
                tenant_id=ctx.tenant_id,
                schema_id=key,
                version=schema.version,
                name=name,
                definition=definition,
            )
        )
    schema.name = name
    await ctx.session.flush()


def _version_route(router: APIRouter) -> None:
    """``GET /schema/{schema_id}`` answering ``schema:<id>_<version>`` with that version."""

    async def get_schema(request: Request, runtime: RuntimeDep, caller: CallerDep) -> Response:
        wire = request.path_params["schema_id"]
        ref = parse_schema_ref(wire, "schema_id")
        async with open_context(runtime, caller) as ctx:
            schema, version = await load_version(ctx, ref, "schema_id", wire)
            rows = await RESOURCE.rows_by_id(ctx, [schema.id])
            if not rows:
                raise forbidden("schema_id", wire, "schema")
            shown = (await RESOURCE.present_rows(ctx, rows))[0]
        shown.update(
            name=version.name,
            version=version.version,
            fields=version.definition.get("fields", []),
            fieldsets=version.definition.get("fieldsets", []),
            plugins=version.definition.get("plugins", []),
        )
        if ref.version is not None:
            shown["id"] = encode_version(schema.id, version.version)
        return json_response({"data": shown, "include": {}})

    parameters = [
        {
            "name": "schema_id",
            "in": "path",
            "required": True,
            "schema": {"type": "string", "pattern": r"^schema:[a-zA-Z0-9_-]+$"},
        },
        {
            "name": "context_id",
            "in": "query",
            "required": False,
            "description": "Object ID being passed in as the context.",
            "schema": {"type": "string", "pattern": r"^\w+:\w+$"},
        },
    ]
    for path, shown in (("/schema/{schema_id}", True), ("/schema/{schema_id}/", False)):
        router.add_api_route(
            path,
            get_schema,
            methods=["GET"],
            operation_id="getSchema" if shown else None,
            summary="Get a single schema (schema:<id>_<version> for one version)",
            include_in_schema=shown,
            responses={200: single_ref("Schema"), **error_responses()},
            openapi_extra={"parameters": parameters, "security": SECURITY},
        )


def _build_router() -> APIRouter:
    """The engine's endpoints, with its single read replaced by the version-aware one."""
    built = resource_router(
        RESOURCE,
        create=Create(SchemaCreate, _create, "Create a schema (`schema:manage`)."),
        update=Update(
            SchemaUpdate,
            _update,
            "Change a schema; a changed definition becomes a new version (`schema:<id>_<n>`).",
        ),
        list_description="Schemas of the account and its scopes; each at its current version.",
    )
    built.routes[:] = [
        route
        for route in built.routes
        if not (isinstance(route, APIRoute) and route.name == "get_endpoint")
    ]
    _version_route(built)
    return built


router = _build_router()
