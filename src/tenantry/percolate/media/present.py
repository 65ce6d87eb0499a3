"""v3 media items built from the v5 store: images, ``video`` (every other file) and folders,
with their folder path (uids and names) and the URLs the v3 download endpoint serves."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from tenantry.core.resources.scoped import of_tenant
from tenantry.percolate.api.context import V5Context
from tenantry.percolate.api.wire import timestamp
from tenantry.percolate.asset.models import Asset, Variant
from tenantry.percolate.folder.models import Folder
from tenantry.percolate.folder.tree import parents_of, path_of
from tenantry.percolate.media.custom import records_of
from tenantry.percolate.media.uids import asset_uid

V3_SIZES = {"thumbnail": "thumbnail", "medium": "medium", "square": "square"}
_EXIF_NAMES = {
    "device_maker": "camera_maker",
    "device_model": "camera_model",
    "focal_length": "focal_length",
    "iso": "iso",
    "aperture": "aperture",
    "shutter_speed": "shutter_speed",
    "flash": "flash",
}


def _moment(value: datetime | None) -> str | None:
    return None if value is None else timestamp(value)


class Presenter:
    """Presents a page of folders and assets with a few queries for the whole page."""

    def __init__(self, ctx: V5Context, base_url: str) -> None:
        self.ctx = ctx
        self.base_url = base_url.rstrip("/")
        self.names: dict[int, str] = {}
        self.parents: dict[int, int | None] = {}

    async def load(self, folders: Sequence[Folder], assets: Sequence[Asset]) -> None:
        starts = [f.id for f in folders] + [a.folder_id for a in assets if a.folder_id]
        self.parents = await parents_of(self.ctx, starts)
        if self.parents:
            rows = await self.ctx.db.rows(
                select(Folder.id, Folder.name).where(
                    of_tenant(Folder, self.ctx.tenant_id), Folder.id.in_(sorted(self.parents))
                )
            )
            self.names = {key: name for key, name in rows}
        self.counts: dict[int, int] = {}
        keys = [f.id for f in folders]
        if keys:
            for model, column in ((Folder, Folder.parent_id), (Asset, Asset.folder_id)):
                rows = await self.ctx.db.rows(
                    select(column, func.count())
                    .where(of_tenant(model, self.ctx.tenant_id), column.in_(keys))
                    .where(model.deleted.is_(False))
                    .group_by(column)
                )
                for key, count in rows:
                    self.counts[key] = self.counts.get(key, 0) + int(count)
        self.custom = await records_of(self.ctx, "asset", [a.id for a in assets])
        self.variants: dict[int, list[Any]] = {}
        images = [a.id for a in assets if a.type == "image"]
        if images:
            rows = await self.ctx.db.mappings(
                select(Variant.asset_id, Variant.name, Variant.width, Variant.height).where(
                    of_tenant(Variant, self.ctx.tenant_id), Variant.asset_id.in_(images)
                )
            )
            for row in rows:
                self.variants.setdefault(row["asset_id"], []).append(row)

    def _path(self, folder_id: int | None, *, including: bool) -> tuple[list[str], list[str]]:
        if folder_id is None:
            return [], []
        chain = [*path_of(folder_id, self.parents), *([folder_id] if including else [])]
        return [f"folder:{k}" for k in chain], [self.names.get(k, "") for k in chain]

    def download_url(self, uid: str, scope_id: int, size: str = "original") -> str:
        return (
            f"{self.base_url}/api/v3/media/{uid}/download?license_id={scope_id}&image_size={size}"
        )

    def folder(self, folder: Folder) -> dict[str, Any]:
        path, names = self._path(folder.id, including=False)
        return {
            "uid": f"folder:{folder.id}",
            "id": str(folder.id),
            "type": "folder",
            "metadata": {
                "name": folder.name,
                "description": folder.description,
                "owner_uid": f"license:{folder.scope_id}",
                "parent_uid": f"folder:{folder.parent_id}" if folder.parent_id else "primary",
                "creator_user_id": folder.creator_id,
                "item_count": self.counts.get(folder.id, 0),
                "path": path,
                "name_path": names,
                "deleted": folder.deleted,
                "created_at": _moment(folder.created_at),
                "modified_at": _moment(folder.updated_at),
                "added_at": _moment(folder.created_at),
            },
        }

    def metadata(self, asset: Asset) -> dict[str, Any]:
        path, names = self._path(asset.folder_id, including=True)
        return {
            "title": asset.title,
            "description": asset.description,
            "tags": list(asset.tags or []),
            "term_uids": [],
            "original_filename": asset.filename,
            "ingested_from": asset.created_through,
            "usage_rights": None,
            "deleted": asset.deleted,
            "added_at": _moment(asset.created_at),
            "created_at": _moment(asset.created_at),
            "modified_at": _moment(asset.updated_at),
            "creator": {"license_id": asset.scope_id, "user_id": asset.creator_id},
            "owner_type": "license",
            "owner_id": asset.scope_id,
            "path": path,
            "name_path": names,
        }

    def asset(self, asset: Asset) -> dict[str, Any]:
        uid = asset_uid(asset.type, asset.scope_id, asset.id)
        original = self.download_url(uid, asset.scope_id)
        item: dict[str, Any] = {
            "uid": uid,
            "id": str(asset.id),
            "type": "image" if asset.type == "image" else "video",
            "state": "ready" if asset.status == "ready" else "processing",
            "src": original,
            "file_size": asset.size,
            "custom_metadata": self.custom.get(asset.id, []),
            "metadata": self.metadata(asset),
        }
        if asset.type != "image":
            item["formats"] = [
                {
                    "profile": "original",
                    "url": original,
                    "content_type": asset.content_type,
                    "file_size": asset.size,
                    "metadata": {} if asset.duration is None else {"duration": asset.duration},
                }
            ]
            return item
        images = {
            "original": {"url": original, "width": asset.width, "height": asset.height},
        }
        for row in self.variants.get(asset.id, []):
            images[row["name"]] = {
                "url": self.download_url(uid, asset.scope_id, row["name"]),
                "width": row["width"],
                "height": row["height"],
            }
        exif = {v3: asset.exif[v5] for v5, v3 in _EXIF_NAMES.items() if v5 in (asset.exif or {})}
        item.update(
            format=asset.content_type.split("/", 1)[1],
            width=float(asset.width or 0),
            height=float(asset.height or 0),
            animated=False,
            images=images,
            exif=exif,
            license={"owner_url": None},
            getty_id=None,
            shutterstock_id=None,
        )
        return item
