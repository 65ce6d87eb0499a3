"""The asset resource (reference §3.1): the wire object, folder-scoped filters and order.

``ext`` carries what the file told us (dimensions as displayed, orientation, video duration,
EXIF extras). Size classes go by the longest pixel side: small < 500, medium < 1500,
large < 3000, extra_large from 3000 (the thresholds are not documented; see decisions).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, false, or_

from tenantry.percolate.api.common import owned_by_scopes, visible_in_reach
from tenantry.percolate.api.context import V5Context
from tenantry.percolate.api.fields import (
    column,
    column_list,
    computed,
    nullable,
    scope,
    timestamp,
    typed_id,
)
from tenantry.percolate.api.ids import IdKind
from tenantry.percolate.api.params import csv_param, ids_param, text_param
from tenantry.percolate.api.resource import (
    Include,
    ListFilter,
    OrderField,
    Resource,
    Row,
    column_eq,
    column_in,
    date_range,
)
from tenantry.percolate.asset.kinds import ASSET_TYPES
from tenantry.percolate.asset.models import Asset
from tenantry.percolate.asset.probe import orientation
from tenantry.percolate.folder.declaration import RECURSIVE
from tenantry.percolate.folder.location import apply_locations, locations_param
from tenantry.percolate.metadata.filters import metadata_filters
from tenantry.percolate.user.declaration import KIND as USER

KIND = IdKind("asset", list_pattern=r"^asset:\d[\d_-]*$")
ORIENTATIONS = ("square", "landscape", "portrait")
SIZE_CLASSES = ("small", "medium", "large", "extra_large")
_SIZE_BOUNDS = {"small": (0, 500), "medium": (500, 1500), "large": (1500, 3000)}
CONTENT_TYPE_PATTERN = r"^\w+\/[-.A-Za-z0-9_]+(?:\+[\w]+)?$"


def _ext(row: Row, _ctx: Any) -> dict[str, Any]:
    width, height = row["width"], row["height"]
    ext: dict[str, Any] = {}
    if width and height:
        ext["dimensions"] = {"width": width, "height": height, "unit": "pixels"}
        ext["orientation"] = orientation(width, height)
    if row["duration"] is not None:
        ext["duration"] = row["duration"]
    ext.update(row["exif"] or {})
    return ext


def _longest() -> Any:
    return case((Asset.width >= Asset.height, Asset.width), else_=Asset.height)


async def _by_location(stmt: Select[Any], values: dict[str, Any], ctx: V5Context) -> Select[Any]:
    if "folder_id" not in values and "ids" in values:
        return stmt
    return await apply_locations(
        stmt,
        ctx,
        values.get("folder_id"),
        values.get("recursive", False),
        folder_column=Asset.folder_id,
        deleted_column=Asset.deleted,
        trashed_with_column=Asset.trashed_with,
    )


def shaped(orientations: list[str]) -> ColumnElement[bool]:
    """Files with dimensions in one of ``orientations`` (square, landscape, portrait)."""
    shapes: list[ColumnElement[bool]] = []
    for shape in orientations:
        if shape == "square":
            shapes.append(Asset.width == Asset.height)
        elif shape == "landscape":
            shapes.append(Asset.width > Asset.height)
        else:
            shapes.append(Asset.width < Asset.height)
    return and_(Asset.width.is_not(None), or_(*shapes))


def sized(names: list[str]) -> ColumnElement[bool]:
    """Files with dimensions in one of the size classes ``names``."""
    classes: list[ColumnElement[bool]] = []
    for name in names:
        if name == "extra_large":
            classes.append(_longest() >= 3000)
        else:
            low, high = _SIZE_BOUNDS[name]
            classes.append(and_(_longest() >= low, _longest() < high))
    return and_(Asset.width.is_not(None), or_(*classes))


async def _by_shape(stmt: Select[Any], values: dict[str, Any], _ctx: V5Context) -> Select[Any]:
    if "orientation" in values:
        stmt = stmt.where(shaped(values["orientation"]))
    if "size" in values:
        stmt = stmt.where(sized(values["size"]))
    return stmt


def _escaped(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def _by_keywords(stmt: Select[Any], values: dict[str, Any], _ctx: V5Context) -> Select[Any]:
    if "keywords" not in values:
        return stmt
    matches: list[ColumnElement[bool]] = []
    for word in values["keywords"]:
        pattern = f"%{_escaped(word.lower())}%"
        for field in (Asset.filename, Asset.title, Asset.description):
            matches.append(field.ilike(pattern, escape="\\"))
    return stmt.where(or_(*matches) if matches else false())


RESOURCE = Resource(
    kind=KIND,
    model=Asset,
    title="Asset",
    fields=(
        typed_id("asset", Asset.id),
        scope(Asset.scope_id),
        column(Asset.type, {"type": "string", "enum": list(ASSET_TYPES)}),
        column(Asset.content_type),
        column(Asset.filename),
        column(Asset.title, nullable({"type": "string"})),
        column(Asset.description, nullable({"type": "string"})),
        column_list(Asset.tags, {"type": "array", "items": {"type": "string"}}),
        column(Asset.size),
        column(Asset.status),
        column(Asset.created_through, nullable({"type": "string"})),
        typed_id("user", Asset.creator_id),
        column(
            Asset.folder_id,
            {"type": "string", "pattern": r"^folder:\d+$"},
            convert=lambda folder: f"folder:{folder or 0}",
        ),
        column(Asset.deleted),
        computed(
            "ext",
            _ext,
            {"type": "object"},
            needs=(Asset.width, Asset.height, Asset.duration, Asset.exif),
        ),
        timestamp(Asset.created_at),
        timestamp(Asset.updated_at),
    ),
    visible=visible_in_reach("media:read", Asset.scope_id),
    order_fields={
        "created_at": OrderField(Asset.created_at),
        "filename": OrderField(Asset.filename),
        "title": OrderField(Asset.title),
        "modified_at": OrderField(Asset.updated_at),
        "size": OrderField(Asset.size),
    },
    default_order=("created_at", "desc"),
    includes={
        "creator_id": Include("user", lambda row: (row["creator_id"],)),
        "folder_id": Include("folder", lambda row: (row["folder_id"],)),
    },
    filters=(
        owned_by_scopes(Asset.scope_id),
        ListFilter(
            (
                locations_param(
                    "folder_id",
                    "Assets directly in this folder (default `folder:primary`);"
                    " `folder:trashcan` lists deleted assets.",
                ),
                RECURSIVE,
            ),
            _by_location,
        ),
        column_in(csv_param("types", "A CSV of asset types.", enum=ASSET_TYPES), Asset.type),
        column_in(
            csv_param("content_types", "A CSV of exact MIME types.", pattern=CONTENT_TYPE_PATTERN),
            Asset.content_type,
        ),
        column_in(ids_param("creator_ids", USER, "A CSV of creators."), Asset.creator_id),
        ListFilter(
            (
                csv_param("orientation", "A CSV of orientations.", enum=ORIENTATIONS),
                csv_param("size", "A CSV of size classes (longest side).", enum=SIZE_CLASSES),
            ),
            _by_shape,
        ),
        ListFilter(
            (csv_param("keywords", "Words found in the filename, title or description."),),
            _by_keywords,
        ),
        column_eq(
            text_param("created_through", "The client that created it."), Asset.created_through
        ),
        date_range("created_at", Asset.created_at),
        metadata_filters("asset", Asset.id, "assets"),
    ),
)
