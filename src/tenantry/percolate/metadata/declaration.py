"""The metadata resource (reference §3.13): object ids that carry metadata, wire fields, filters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, false, or_

from tenantry.percolate.api.context import V5Context
from tenantry.percolate.api.fields import column, timestamp, typed_by, typed_id
from tenantry.percolate.api.ids import IdKind, invalid
from tenantry.percolate.api.params import csv_param
from tenantry.percolate.api.resource import ListFilter, Resource
from tenantry.percolate.asset.models import Asset
from tenantry.percolate.channel.models import Channel
from tenantry.percolate.metadata.models import Metadata
from tenantry.percolate.post.models import Post
from tenantry.percolate.schema import declaration as schemas

KIND = IdKind("metadata")
OBJECT_PATTERN = r"^(post|channel|asset):\d{1,18}$"


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
    "asset": ObjectKind(Asset, "asset", "media:read", "media:metadata:update"),
}


async def _visible(stmt: Select[Any], ctx: V5Context) -> Select[Any]:
    """Metadata of the objects the caller may read (by each kind's read capability)."""
    clauses = []
    for kind, spec in OBJECTS.items():
        reach = await ctx.reach(spec.read)
        clauses.append(and_(Metadata.object_kind == kind, reach.condition(Metadata.scope_id)))
    return stmt.where(or_(*clauses))


def object_ref(value: str, key: str) -> tuple[str, int]:
    kind, _, number = value.partition(":")
    if kind not in OBJECTS or not number.isdigit() or len(number) > 18:
        raise invalid(key, "Expected a post, channel or asset id such as post:12.", value)
    return kind, int(number)


async def _by_object(stmt: Select[Any], values: dict[str, Any], _ctx: V5Context) -> Select[Any]:
    if "object_ids" in values:
        refs = [object_ref(value, "object_ids") for value in values["object_ids"]]
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
