"""Schema rules: load a version, check values against it, create and change schemas.

A schema's definition (fields, fieldsets, plugins) is checked by :mod:`.definition` and
stored as an immutable :class:`SchemaVersion`; changing it makes the next version. Lists and
``schema:<id>`` answer with the current version, ``schema:<id>_<version>`` with that one.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import exists, select

from tenantry.core.errors import Conflict, FieldError, ValidationFailed
from tenantry.core.resources.scoped import of_tenant
from tenantry.percolate.api.context import V5Context, forbidden
from tenantry.percolate.api.ids import invalid, parse_scope
from tenantry.percolate.asset.service import existing_assets
from tenantry.percolate.schema.bodies import SchemaBody, SchemaCreate, SchemaUpdate
from tenantry.percolate.schema.compile import CompiledSchema, compile_schema
from tenantry.percolate.schema.declaration import SchemaRef
from tenantry.percolate.schema.definition import parse_definition
from tenantry.percolate.schema.models import Schema, SchemaVersion
from tenantry.percolate.schema.references import (
    collect_references,
    missing_reference_errors,
    references_by_kind,
)
from tenantry.percolate.schema.validate import validate_values
from tenantry.percolate.term.models import Term


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
    and assets exist in this account, the assets where the caller may see them (link and
    attachment ids are checked for shape only: those objects are not part of this server)."""
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
    assets = await existing_assets(ctx, references_by_kind(references).get("asset", set()))
    existing = {"term": {f"term:{key}" for key in found}, "asset": assets}
    missing = missing_reference_errors(references, existing)
    if missing:
        raise ValidationFailed("The values name objects that do not exist.", missing)


def compiled(version: SchemaVersion) -> CompiledSchema:
    """The version's compiled validator (cached by id and version: versions never change)."""
    return compile_schema(version.definition, schema_id=version.schema_id, version=version.version)


async def _readable(ctx: V5Context, scope_id: int | None) -> bool:
    if scope_id is None:
        return ctx.holds_anywhere("schema:read")
    return (await ctx.reach("schema:read")).includes(scope_id)


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


async def create_schema(ctx: V5Context, body: SchemaCreate) -> int:
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


async def update_schema(ctx: V5Context, key: int, body: SchemaUpdate) -> None:
    wire = f"schema:{key}"
    schema = await ctx.session.get(Schema, (ctx.tenant_id, key))
    if schema is None or not await _readable(ctx, schema.scope_id):
        raise forbidden("schema_id", wire, "schema")
    await ctx.require("schema:manage", schema.scope_id, "schema_id", wire)
    if body.type is not None and body.type != schema.type:
        raise invalid("type", "A schema's type cannot change; create a new schema.", body.type)
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
