"""``/api/v5/metadata/`` (reference §3.13): schema-typed values about an object.

One record per object and metadata schema; the values are validated by the schema version
they are written with, which the record keeps. Objects this server holds can carry metadata:
posts (``post:update`` to write) and channels (``license_channel:update``); reading needs
the object's read capability in its scope. Every write also rewrites the record's
flattened values (:mod:`.metadata_index`), which the post list's metadata filters read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Select, and_, exists, false, or_, select

from tenantry.core.errors import Conflict, FieldError
from tenantry.core.resources.scoped import of_tenant
from tenantry.percolate.api.context import V5Context, forbidden
from tenantry.percolate.api.fields import column, timestamp, typed_by, typed_id
from tenantry.percolate.api.ids import IdKind, invalid
from tenantry.percolate.api.params import csv_param
from tenantry.percolate.api.resource import ListFilter, Resource
from tenantry.percolate.api.routes import Create, Delete, Update, resource_router
from tenantry.percolate.channel.models import Channel
from tenantry.percolate.metadata import index as metadata_index
from tenantry.percolate.metadata.models import Metadata
from tenantry.percolate.post.models import Post
from tenantry.percolate.schema import declaration as schemas
from tenantry.percolate.schema import service as schema_rules

__all__ = ["KIND", "RESOURCE", "MetadataWrite", "router", "write_metadata"]

KIND = IdKind("metadata")
OBJECT_PATTERN = r"^(post|channel):\d{1,18}$"


@dataclass(frozen=True)
class ObjectKind:
    """What metadata needs to know about a kind of object."""

    model: Any
    resource_type: str
    read: str
    write: str


OBJECTS: dict[str, ObjectKind] = {
    "post": ObjectKind(Post, "post", "post:read", "post:update"),
    "channel": ObjectKind(Channel, "channel", "license_channel:read", "license_channel:update"),
}


async def _visible(stmt: Select[Any], ctx: V5Context) -> Select[Any]:
    """Metadata of the objects the caller may read (by each kind's read capability)."""
    clauses = []
    for kind, spec in OBJECTS.items():
        reach = await ctx.reach(spec.read)
        clauses.append(and_(Metadata.object_kind == kind, reach.condition(Metadata.scope_id)))
    return stmt.where(or_(*clauses))


def _object_ref(value: str, key: str) -> tuple[str, int]:
    kind, _, number = value.partition(":")
    if kind not in OBJECTS or not number.isdigit() or len(number) > 18:
        raise invalid(key, "Expected a post or channel id such as post:12.", value)
    return kind, int(number)


async def _by_object(stmt: Select[Any], values: dict[str, Any], _ctx: V5Context) -> Select[Any]:
    if "object_ids" in values:
        refs = [_object_ref(value, "object_ids") for value in values["object_ids"]]
        stmt = stmt.where(
            or_(
                *(
                    and_(Metadata.object_kind == kind, Metadata.object_key == key)
                    for kind, key in refs
                )
            )
            if refs
            else false()
        )
    if "schema_id" in values:
        ref = schemas.parse_schema_ref(values["schema_id"][0], "schema_id")
        stmt = stmt.where(Metadata.schema_id == ref.key)
        if ref.version is not None:
            stmt = stmt.where(Metadata.schema_version == ref.version)
    return stmt


RESOURCE = Resource(
    kind=KIND,
    model=Metadata,
    title="Metadata",
    fields=(
        typed_id("metadata", Metadata.id),
        typed_by(
            "object_id",
            Metadata.object_kind,
            Metadata.object_key,
            {"type": "string", "pattern": OBJECT_PATTERN},
        ),
        schemas.version_id(Metadata.schema_id, Metadata.schema_version),
        column(Metadata.ext, {"type": "object"}, empty_as="object"),
        timestamp(Metadata.created_at),
        timestamp(Metadata.updated_at),
    ),
    visible=_visible,
    filters=(
        ListFilter(
            (
                csv_param(
                    "object_ids", "A CSV of object ids to filter by.", pattern=OBJECT_PATTERN
                ),
                csv_param(
                    "schema_id",
                    "The schema that defines this metadata.",
                    pattern=r"^schema:\d+(_\d+)?$",
                ),
            ),
            _by_object,
        ),
    ),
)


class MetadataWrite(BaseModel):
    """One record as the create body (and a post's ``metadata`` items) give it."""

    model_config = ConfigDict(extra="ignore")

    schema_id: str = Field(pattern=r"^schema:\d+(_\d+)?$")
    ext: dict[str, Any] = Field(default_factory=dict)


class MetadataCreate(MetadataWrite):
    object_id: str = Field(pattern=OBJECT_PATTERN)


class MetadataUpdate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    ext: dict[str, Any]


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
    ctx: V5Context, kind: str, key: int, scope_id: int | None, body: MetadataWrite, root: str
) -> int:
    """Store one record for an object the caller may write (checked by the caller);
    ``root`` is where errors point (``$.ext`` or ``$.metadata[0].ext``)."""
    schema_key = f"{root.rsplit('.', 1)[0]}.schema_id"
    ref = schemas.parse_schema_ref(body.schema_id, schema_key)
    schema, version = await schema_rules.load_version(ctx, ref, schema_key, body.schema_id)
    if schema.type != "metadata":
        raise invalid(schema_key, "The schema is not a metadata schema.", body.schema_id)
    types = set(schema.limit_resource_types or [])
    if "all" not in types and OBJECTS[kind].resource_type not in types:
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


async def _create(ctx: V5Context, body: MetadataCreate) -> int:
    kind, key = _object_ref(body.object_id, "object_id")
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


async def _update(ctx: V5Context, key: int, body: MetadataUpdate) -> None:
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


async def _delete(ctx: V5Context, key: int) -> None:
    row = await _record(ctx, key)
    await metadata_index.forget(ctx.session, ctx.tenant_id, row.id)
    await ctx.session.delete(row)
    await ctx.session.flush()


router = resource_router(
    RESOURCE,
    create=Create(
        MetadataCreate, _create, "Write metadata of a metadata schema about a post or channel."
    ),
    update=Update(MetadataUpdate, _update, "Replace the values (checked by the record's version)."),
    delete=Delete(_delete, "Delete an object's metadata of one schema."),
    list_description="Metadata of objects the caller may read; filter by object_ids, schema_id.",
)
