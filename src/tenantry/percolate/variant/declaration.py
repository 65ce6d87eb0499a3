"""The variant resource (reference §3.2): an asset's renditions, seen where the asset is."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, and_

from tenantry.percolate.api.common import visible_in_reach
from tenantry.percolate.api.context import V5Context
from tenantry.percolate.api.fields import column, computed, timestamp, typed_id
from tenantry.percolate.api.ids import IdKind
from tenantry.percolate.api.params import choice_param, csv_param, ids_param, int_param
from tenantry.percolate.api.resource import ListFilter, OrderField, Resource, Row, column_in
from tenantry.percolate.asset.declaration import KIND as ASSET
from tenantry.percolate.asset.models import Asset, Variant
from tenantry.percolate.asset.probe import orientation

KIND = IdKind("variant")
VARIANT_TYPES = ("image", "audio", "video")
MAX_PIXELS_PARAM = 1_000_000


def _ext(row: Row, _ctx: Any) -> dict[str, Any]:
    width, height = row["width"], row["height"]
    return {
        "dimensions": {"width": width, "height": height, "unit": "pixels"},
        "orientation": orientation(width, height),
    }


def _bound(name: str, description: str) -> Any:
    return int_param(name, description, default=None, minimum=0, maximum=MAX_PIXELS_PARAM)


async def _by_dimensions(stmt: Select[Any], values: dict[str, Any], _ctx: V5Context) -> Select[Any]:
    for names, side, above in (
        (("ext.width", "min_width"), Variant.width, True),
        (("ext.height", "min_height"), Variant.height, True),
        (("max_width",), Variant.width, False),
        (("max_height",), Variant.height, False),
    ):
        for name in names:
            if values.get(name) is not None:
                stmt = stmt.where(side >= values[name] if above else side <= values[name])
    return stmt


async def _download_is_routed(
    stmt: Select[Any], _values: dict[str, Any], _ctx: V5Context
) -> Select[Any]:
    return stmt  # the endpoint answers with the file when the list has one result


RESOURCE = Resource(
    kind=KIND,
    model=Variant,
    title="Variant",
    source=Variant.__table__.join(
        Asset.__table__,
        and_(Asset.tenant_id == Variant.tenant_id, Asset.id == Variant.asset_id),
    ),
    fields=(
        typed_id("variant", Variant.id),
        typed_id("asset", Variant.asset_id),
        column(Variant.type, {"type": "string", "enum": list(VARIANT_TYPES)}),
        column(Variant.content_type),
        column(Variant.size),
        computed("ext", _ext, {"type": "object"}, needs=(Variant.width, Variant.height)),
        timestamp(Variant.created_at),
        timestamp(Variant.updated_at),
    ),
    visible=visible_in_reach("media:read", Asset.scope_id),
    order_fields={
        "size": OrderField(Variant.size),
        "created_at": OrderField(Variant.created_at),
        "dimensions": OrderField(Variant.width),
    },
    default_order=("size", "asc"),
    required_any=("asset_id",),
    filters=(
        column_in(
            ids_param("asset_id", ASSET, "The asset whose variants to list (required)."),
            Variant.asset_id,
        ),
        column_in(csv_param("types", "A CSV of types.", enum=VARIANT_TYPES), Variant.type),
        ListFilter(
            (
                _bound("ext.width", "Variants at least this wide."),
                _bound("min_width", "Variants at least this wide (alias of ext.width)."),
                _bound("ext.height", "Variants at least this high."),
                _bound("min_height", "Variants at least this high (alias of ext.height)."),
                _bound("max_width", "Variants at most this wide."),
                _bound("max_height", "Variants at most this high."),
            ),
            _by_dimensions,
        ),
        ListFilter(
            (
                choice_param(
                    "download",
                    "Answer with the file instead when exactly one variant matches.",
                    ("inline", "attachment"),
                    default=None,
                ),
            ),
            _download_is_routed,
        ),
    ),
)
