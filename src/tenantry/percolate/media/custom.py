"""v3 ``custom_metadata``: ``[{schema_uid, data}]``, schema-typed values kept as metadata
records (the v5 metadata store, so the values are validated and indexed the same way).

An item's list is its asset's records; ``/api/v3/media/custom_metadata`` is the license's
own list (records about the license, of metadata schemas that apply to assets), replaced
whole by a ``PUT``.
"""

from __future__ import annotations

from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field
from sqlalchemy import select

from tenantry.core.resources.scoped import of_tenant
from tenantry.percolate.api.context import V5Context
from tenantry.percolate.api.ids import invalid
from tenantry.percolate.metadata import index as metadata_index
from tenantry.percolate.metadata.bodies import MetadataWrite
from tenantry.percolate.metadata.models import Metadata
from tenantry.percolate.metadata.service import write_metadata
from tenantry.percolate.schema import declaration as schemas

LICENSE_KIND = "license"
"""The ``object_kind`` of a license's own records (no v5 route lists them)."""


class CustomItem(BaseModel):
    model_config = ConfigDict(extra="ignore")

    schema_uid: str = Field(pattern=r"^schema:\d{1,18}(_\d{1,9})?$")
    data: dict[str, Any] = Field(default_factory=dict)


class CustomList(BaseModel):
    """The ``PUT`` body: the list under ``custom_metadata`` (or ``data``, as ``GET`` shows it)."""

    model_config = ConfigDict(extra="ignore")

    custom_metadata: list[CustomItem] = Field(
        max_length=100, validation_alias=AliasChoices("custom_metadata", "data")
    )


def shown(rows: list[tuple[int, dict[str, Any]]]) -> list[dict[str, Any]]:
    return [{"schema_uid": f"schema:{schema}", "data": ext} for schema, ext in rows]


async def records_of(ctx: V5Context, kind: str, keys: list[int]) -> dict[int, list[Any]]:
    """Each object's ``custom_metadata`` list (by schema id)."""
    if not keys:
        return {}
    rows = await ctx.db.rows(
        select(Metadata.object_key, Metadata.schema_id, Metadata.ext)
        .where(
            of_tenant(Metadata, ctx.tenant_id),
            Metadata.object_kind == kind,
            Metadata.object_key.in_(sorted(set(keys))),
        )
        .order_by(Metadata.object_key, Metadata.schema_id)
    )
    found: dict[int, list[tuple[int, dict[str, Any]]]] = {}
    for key, schema, ext in rows:
        found.setdefault(key, []).append((schema, ext or {}))
    return {key: shown(items) for key, items in found.items()}


async def replace_license_records(ctx: V5Context, scope_id: int, items: list[CustomItem]) -> None:
    """The license's records become ``items`` (one per schema; checked like any metadata)."""
    seen: set[int] = set()
    for index, item in enumerate(items):
        ref = schemas.parse_schema_ref(item.schema_uid, f"custom_metadata[{index}].schema_uid")
        if ref.key in seen:
            raise invalid(
                f"custom_metadata[{index}].schema_uid", "One entry per schema.", item.schema_uid
            )
        seen.add(ref.key)
    held = await ctx.session.scalars(
        select(Metadata).where(
            of_tenant(Metadata, ctx.tenant_id),
            Metadata.object_kind == LICENSE_KIND,
            Metadata.object_key == scope_id,
        )
    )
    for row in held.all():
        await metadata_index.forget(ctx.session, ctx.tenant_id, row.id)
        await ctx.session.delete(row)
    await ctx.session.flush()
    for index, item in enumerate(items):
        await write_metadata(
            ctx,
            LICENSE_KIND,
            scope_id,
            scope_id,
            MetadataWrite(schema_id=item.schema_uid, ext=item.data),
            f"$.custom_metadata[{index}].data",
            applies_to="asset",
        )
