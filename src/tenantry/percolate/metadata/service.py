"""Metadata rules: write, change and delete schema-typed values about an object.

One record per object and metadata schema; the values are validated by the schema version
they are written with, which the record keeps. Objects this server holds can carry metadata:
posts (``post:update`` to write), channels (``license_channel:update``) and assets
(``media:metadata:update``); reading needs the object's read capability in its scope. Every
write also rewrites the record's flattened values (:mod:`.metadata_index`), which the post
and asset lists' metadata filters read.
"""

from __future__ import annotations

from sqlalchemy import exists, select

from tenantry.core.errors import Conflict, FieldError
from tenantry.core.resources.scoped import of_tenant
from tenantry.percolate.api.context import V5Context, forbidden
from tenantry.percolate.api.ids import invalid
from tenantry.percolate.metadata import index as metadata_index
from tenantry.percolate.metadata.bodies import MetadataCreate, MetadataUpdate, MetadataWrite
from tenantry.percolate.metadata.declaration import OBJECTS, object_ref
from tenantry.percolate.metadata.models import Metadata
from tenantry.percolate.schema import declaration as schemas
from tenantry.percolate.schema import service as schema_rules


async def _object_scope(
    ctx: V5Context, kind: str, key: int, wire_key: str, capability: str
) -> int | None:
    """The object's scope, if the caller may read it and holds ``capability`` there."""
    spec = OBJECTS[kind]
    found = await ctx.session.get(spec.model, (ctx.tenant_id, key))
    wire = f"{kind}:{key}"
    if found is None or not await ctx.can(spec.read, found.scope_id):
        raise forbidden(wire_key, wire, kind)
    await ctx.require(capability, found.scope_id, wire_key, wire)
    scope: int | None = found.scope_id
    return scope


async def write_metadata(
    ctx: V5Context,
    kind: str,
    key: int,
    scope_id: int | None,
    body: MetadataWrite,
    root: str,
    applies_to: str | None = None,
) -> int:
    """Store one record for an object the caller may write (checked by the caller);
    ``root`` is where errors point (``$.ext`` or ``$.metadata[0].ext``); the schema must
    apply to ``applies_to`` (default the kind's resource type)."""
    schema_key = f"{root.rsplit('.', 1)[0]}.schema_id"
    ref = schemas.parse_schema_ref(body.schema_id, schema_key)
    schema, version = await schema_rules.load_version(ctx, ref, schema_key, body.schema_id)
    if schema.type != "metadata":
        raise invalid(schema_key, "The schema is not a metadata schema.", body.schema_id)
    types = set(schema.limit_resource_types or [])
    if "all" not in types and (applies_to or OBJECTS[kind].resource_type) not in types:
        raise invalid(schema_key, f"The schema does not apply to {kind} objects.", body.schema_id)
    await schema_rules.check_values(ctx, version, body.ext, root=root)
    taken = await ctx.session.scalar(
        select(
            exists().where(
                of_tenant(Metadata, ctx.tenant_id),
                Metadata.object_kind == kind,
                Metadata.object_key == key,
                Metadata.schema_id == schema.id,
            )
        )
    )
    if taken:
        raise Conflict(
            "The object already has metadata of this schema.",
            [FieldError(schema_key, "already written for this object", body.schema_id)],
        )
    row = Metadata(
        tenant_id=ctx.tenant_id,
        object_kind=kind,
        object_key=key,
        scope_id=scope_id,
        schema_id=schema.id,
        schema_version=version.version,
        ext=body.ext,
    )
    ctx.session.add(row)
    await ctx.session.flush()
    await metadata_index.reindex(ctx.session, row, schema_rules.compiled(version).definition)
    return row.id


async def create_metadata(ctx: V5Context, body: MetadataCreate) -> int:
    kind, key = object_ref(body.object_id, "object_id")
    scope_id = await _object_scope(ctx, kind, key, "object_id", OBJECTS[kind].write)
    return await write_metadata(ctx, kind, key, scope_id, body, "$.ext")


async def _record(ctx: V5Context, key: int) -> Metadata:
    """A record the caller may write (403 naming ``metadata_id`` otherwise)."""
    wire = f"metadata:{key}"
    row = await ctx.session.get(Metadata, (ctx.tenant_id, key))
    if row is None:
        raise forbidden("metadata_id", wire, "metadata")
    spec = OBJECTS[row.object_kind]
    if not await ctx.can(spec.read, row.scope_id):
        raise forbidden("metadata_id", wire, "metadata")
    await ctx.require(spec.write, row.scope_id, "metadata_id", wire)
    return row


async def update_metadata(ctx: V5Context, key: int, body: MetadataUpdate) -> None:
    row = await _record(ctx, key)
    version = await schema_rules.load_version(
        ctx,
        schemas.SchemaRef(row.schema_id, row.schema_version),
        "metadata_id",
        f"metadata:{key}",
    )
    await schema_rules.check_values(ctx, version[1], body.ext)
    row.ext = body.ext
    await ctx.session.flush()
    await metadata_index.reindex(ctx.session, row, schema_rules.compiled(version[1]).definition)


async def delete_metadata(ctx: V5Context, key: int) -> None:
    row = await _record(ctx, key)
    await metadata_index.forget(ctx.session, ctx.tenant_id, row.id)
    await ctx.session.delete(row)
    await ctx.session.flush()
