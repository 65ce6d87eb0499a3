"""The folder resource (reference §3.3): the tree's wire shape, its filters and its counts.

``parent_id``/``path_ids`` show the root as ``folder:0``; ``path_ids``, ``child_count`` and
``asset_count`` are computed for a whole page at once (a walk up the tree, two grouped counts).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, func, select

from tenantry.core.resources.scoped import of_tenant
from tenantry.percolate.api.common import owned_by_scopes, visible_in_reach
from tenantry.percolate.api.context import V5Context
from tenantry.percolate.api.fields import column, constant, nullable, scope, timestamp, typed_id
from tenantry.percolate.api.ids import IdKind
from tenantry.percolate.api.params import bool_param, ids_param
from tenantry.percolate.api.resource import (
    Include,
    ListFilter,
    OrderField,
    Resource,
    Row,
    column_in,
    date_range,
)
from tenantry.percolate.asset.models import Asset
from tenantry.percolate.folder.location import ROOT_WIRE, apply_locations, locations_param
from tenantry.percolate.folder.models import Folder
from tenantry.percolate.folder.tree import parents_of, path_of
from tenantry.percolate.user.declaration import KIND as USER

KIND = IdKind("folder")
FOLDER_ID = {"type": "string", "pattern": r"^folder:\d+$"}
RECURSIVE = bool_param(
    "recursive", "Search the whole tree below the folder, not only its contents.", False
)


async def _counts(ctx: V5Context, rows: Sequence[Row]) -> dict[int, dict[str, Any]]:
    keys = [row["id"] for row in rows]
    parents = await parents_of(ctx, keys)
    children = dict(
        await ctx.db.rows(
            select(Folder.parent_id, func.count())
            .where(
                of_tenant(Folder, ctx.tenant_id),
                Folder.parent_id.in_(keys),
                Folder.deleted.is_(False),
            )
            .group_by(Folder.parent_id)
        )
    )
    assets = dict(
        await ctx.db.rows(
            select(Asset.folder_id, func.count())
            .where(
                of_tenant(Asset, ctx.tenant_id),
                Asset.folder_id.in_(keys),
                Asset.deleted.is_(False),
            )
            .group_by(Asset.folder_id)
        )
    )
    return {
        key: {
            "path_ids": [ROOT_WIRE, *(f"folder:{k}" for k in path_of(key, parents))],
            "child_count": int(children.get(key, 0)),
            "asset_count": int(assets.get(key, 0)),
        }
        for key in keys
    }


async def _by_parent(stmt: Select[Any], values: dict[str, Any], ctx: V5Context) -> Select[Any]:
    if "parent_ids" not in values and "ids" in values:
        return stmt
    return await apply_locations(
        stmt,
        ctx,
        values.get("parent_ids"),
        values.get("recursive", False),
        folder_column=Folder.parent_id,
        deleted_column=Folder.deleted,
        trashed_with_column=Folder.trashed_with,
    )


RESOURCE = Resource(
    kind=KIND,
    model=Folder,
    title="Folder",
    fields=(
        typed_id("folder", Folder.id),
        scope(Folder.scope_id),
        column(
            Folder.parent_id,
            FOLDER_ID,
            convert=lambda parent: f"folder:{parent or 0}",
        ),
        # set by the enricher (_counts)
        constant("path_ids", [], {"type": "array", "items": FOLDER_ID}),
        column(Folder.name),
        column(Folder.description, nullable({"type": "string"})),
        typed_id("user", Folder.creator_id),
        column(Folder.deleted),
        constant("child_count", 0, {"type": "integer"}),
        constant("asset_count", 0, {"type": "integer"}),
        timestamp(Folder.created_at),
        timestamp(Folder.updated_at),
    ),
    visible=visible_in_reach("folders:read", Folder.scope_id),
    order_fields={"name": OrderField(Folder.name), "created_at": OrderField(Folder.created_at)},
    default_order=("name", "asc"),
    includes={"creator_id": Include("user", lambda row: (row["creator_id"],))},
    enrich=_counts,
    filters=(
        owned_by_scopes(Folder.scope_id),
        ListFilter(
            (
                locations_param(
                    "parent_ids",
                    "Folders directly inside these (default the root); `folder:trashcan` lists"
                    " deleted folders.",
                ),
                RECURSIVE,
            ),
            _by_parent,
        ),
        column_in(ids_param("creator_ids", USER, "A CSV of creators."), Folder.creator_id),
        date_range("created_at", Folder.created_at),
    ),
)
