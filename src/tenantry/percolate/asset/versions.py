"""Asset versions: the files an asset has held, a replacement, and a rollback.

History is kept as rows numbered from 1 (the highest is the file the asset shows). An asset
that never changed has no rows: its first row is written from the asset itself when a
second version comes. A rollback adds a version repeating the chosen one's file, so
nothing is overwritten and a rollback can itself be rolled back.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tenantry.core.base import utcnow
from tenantry.core.jobs import enqueue
from tenantry.core.resources.scoped import of_tenant
from tenantry.percolate.api.context import V5Context
from tenantry.percolate.api.ids import IdKind, invalid
from tenantry.percolate.api.wire import timestamp
from tenantry.percolate.asset.models import VARIANTS_JOB, Asset, AssetVersion, Variant
from tenantry.percolate.asset.probe import orientation

VERSION = IdKind("asset_version")
FILE_FIELDS = (
    "type",
    "content_type",
    "filename",
    "size",
    "storage_key",
    "file_hash",
    "width",
    "height",
    "duration",
    "exif",
)
"""What a version holds: the file and what it told us (not the asset's place or metadata)."""


async def _latest(session: AsyncSession, asset: Asset) -> int:
    found = await session.scalar(
        select(func.max(AssetVersion.number)).where(
            of_tenant(AssetVersion, asset.tenant_id), AssetVersion.asset_id == asset.id
        )
    )
    return int(found or 0)


async def _record(session: AsyncSession, asset: Asset, number: int) -> AssetVersion:
    row = AssetVersion(
        tenant_id=asset.tenant_id,
        asset_id=asset.id,
        number=number,
        creator_id=asset.creator_id,
        **{name: getattr(asset, name) for name in FILE_FIELDS},
    )
    session.add(row)
    return row


async def _refresh_renditions(session: AsyncSession, asset: Asset) -> None:
    """The old file's variants go; an image's are made again from the new file."""
    await session.execute(
        delete(Variant)
        .where(of_tenant(Variant, asset.tenant_id), Variant.asset_id == asset.id)
        .execution_options(synchronize_session=False)
    )
    if asset.type == "image" and asset.width:
        await enqueue(
            session, VARIANTS_JOB, {"asset_id": asset.id}, tenant_id=asset.tenant_id, max_attempts=3
        )


async def new_version(
    session: AsyncSession, asset: Asset, file: dict[str, Any], creator_id: int | None
) -> None:
    """The asset shows ``file`` (values of :data:`FILE_FIELDS`) as its next version."""
    number = await _latest(session, asset)
    if number == 0:
        await _record(session, asset, 1)
        number = 1
    for name in FILE_FIELDS:
        setattr(asset, name, file[name])
    asset.status, asset.updated_at = "ready", utcnow()
    row = await _record(session, asset, number + 1)
    row.creator_id = creator_id
    await session.flush()
    await _refresh_renditions(session, asset)


async def roll_back(ctx: V5Context, asset: Asset, wire: str) -> None:
    """The asset shows version ``wire`` (an ``asset_version`` id of this asset) again."""
    key = VERSION.parse(wire, "version_id")
    row = await ctx.session.get(AssetVersion, (ctx.tenant_id, key))
    if row is None or row.asset_id != asset.id:
        raise invalid("version_id", "Not a version of this asset.", wire)
    if row.number == await _latest(ctx.session, asset):
        return
    await new_version(
        ctx.session, asset, {name: getattr(row, name) for name in FILE_FIELDS}, ctx.user_id
    )


async def versions_of(ctx: V5Context, asset: Asset) -> list[dict[str, Any]]:
    """The asset's versions, newest first (one, made up from the asset, if it never changed)."""
    rows = list(
        (
            await ctx.session.scalars(
                select(AssetVersion)
                .where(of_tenant(AssetVersion, ctx.tenant_id), AssetVersion.asset_id == asset.id)
                .order_by(AssetVersion.number.desc())
            )
        ).all()
    )
    if not rows:
        rows = [await _record(ctx.session, asset, 1)]
        await ctx.session.flush()
    latest = rows[0].number
    return [_shown(row, asset, row.number == latest) for row in rows]


def _shown(row: AssetVersion, asset: Asset, current: bool) -> dict[str, Any]:
    ext: dict[str, Any] = {}
    if row.width and row.height:
        ext["dimensions"] = {"width": row.width, "height": row.height, "unit": "pixels"}
        ext["orientation"] = orientation(row.width, row.height)
    if row.duration is not None:
        ext["duration"] = row.duration
    ext.update(row.exif or {})
    return {
        "id": f"asset_version:{row.id}",
        "asset_id": f"asset:{asset.id}",
        "version": row.number,
        "current": current,
        "type": row.type,
        "content_type": row.content_type,
        "filename": row.filename,
        "size": row.size,
        "creator_id": None if row.creator_id is None else f"user:{row.creator_id}",
        "ext": ext,
        "created_at": timestamp(row.created_at),
    }
