"""Asset rules: copy (new bytes, same metadata), the one-property ``PUT`` (move, rename,
trash, restore) and the soft delete."""

from __future__ import annotations

from sqlalchemy import select

from tenantry.core.base import utcnow
from tenantry.core.jobs import enqueue
from tenantry.core.resources.scoped import of_tenant
from tenantry.percolate.api.context import V5Context, forbidden
from tenantry.percolate.api.ids import IdKind, invalid
from tenantry.percolate.asset.bodies import AssetCopy, AssetUpdate
from tenantry.percolate.asset.models import VARIANTS_JOB, Asset
from tenantry.percolate.asset.versions import roll_back
from tenantry.percolate.folder.models import Folder
from tenantry.percolate.folder.service import target_folder
from tenantry.percolate.upload.service import safe_filename

_ASSET = IdKind("asset")
"""Parses ``copy_from_id`` (digits past 64 bits are a 400, not an overflow)."""

PARAM = "asset_id"


async def visible_asset(ctx: V5Context, key: int, *, capability: str = "media:read") -> Asset:
    """An asset of this account the caller may see (and do ``capability`` to); 403 else."""
    asset = await ctx.session.get(Asset, (ctx.tenant_id, key))
    wire = f"asset:{key}"
    if asset is None or not await ctx.can("media:read", asset.scope_id):
        raise forbidden(PARAM, wire, "asset")
    await ctx.require(capability, asset.scope_id, PARAM, wire)
    return asset


async def copy_asset(ctx: V5Context, body: AssetCopy) -> int:
    source = await visible_asset(ctx, _ASSET.parse(body.copy_from_id, "copy_from_id"))
    if source.deleted:
        raise forbidden("copy_from_id", body.copy_from_id, "asset")
    scope_wire = body.scope_id or (
        ctx.scope_wire(source.scope_id)
        if body.folder_id in ("folder:primary", "folder:0")
        else None
    )
    if scope_wire == ctx.scope_wire(source.scope_id):
        await ctx.load_scope_kinds([source.scope_id])
        scope_wire = ctx.scope_wire(source.scope_id)
    scope_id, folder_id = await target_folder(ctx, body.folder_id, scope_wire, "folder_id")
    await ctx.require("media:create", scope_id, "scope_id", body.scope_id)
    copy = Asset(
        tenant_id=ctx.tenant_id,
        scope_id=scope_id,
        folder_id=folder_id,
        type=source.type,
        content_type=source.content_type,
        filename=source.filename,
        title=source.title,
        description=source.description,
        tags=list(source.tags),
        size=source.size,
        status=source.status,
        created_through=source.created_through,
        creator_id=ctx.user_id,
        storage_key="",
        file_hash=source.file_hash,
        width=source.width,
        height=source.height,
        duration=source.duration,
        exif=dict(source.exif),
    )
    ctx.session.add(copy)
    await ctx.session.flush()
    storage = ctx.platform.storage
    copy.storage_key = f"assets/{ctx.tenant_id}/{copy.id}/{safe_filename(source.filename)}"
    await storage.put(copy.storage_key, storage.stream(source.storage_key), source.content_type)
    if copy.type == "image" and copy.width:
        await enqueue(
            ctx.session,
            VARIANTS_JOB,
            {"asset_id": copy.id},
            tenant_id=ctx.tenant_id,
            max_attempts=3,
        )
    await ctx.session.flush()
    return copy.id


def trash(asset: Asset) -> None:
    asset.deleted, asset.trashed_with, asset.updated_at = True, None, utcnow()


async def restore(ctx: V5Context, asset: Asset) -> None:
    """Back into its folder, or the root if that folder is gone too."""
    if asset.folder_id is not None:
        folder = await ctx.session.get(Folder, (ctx.tenant_id, asset.folder_id))
        if folder is None or folder.deleted:
            asset.folder_id = None
    asset.deleted, asset.trashed_with, asset.updated_at = False, None, utcnow()


async def update_asset(ctx: V5Context, key: int, body: AssetUpdate) -> None:
    given = [name for name in body.model_fields_set if getattr(body, name) is not None]
    if len(given) != 1:
        raise invalid(
            None, "Send exactly one of folder_id, filename, deleted, version_id, context_id."
        )
    (name,) = given
    if name == "context_id":
        raise invalid(
            "context_id", "Posts keep no asset revisions: roll back with version_id instead."
        )
    if name == "deleted":
        capability = "media:delete" if body.deleted else "media:restore"
        asset = await visible_asset(ctx, key, capability=capability)
        if body.deleted and not asset.deleted:
            trash(asset)
        elif not body.deleted and asset.deleted:
            await restore(ctx, asset)
        await ctx.session.flush()
        return
    asset = await visible_asset(ctx, key, capability="media:update")
    if asset.deleted:
        raise forbidden(PARAM, f"asset:{key}", "asset")
    if name == "version_id" and body.version_id is not None:
        await roll_back(ctx, asset, body.version_id)
    elif name == "filename" and body.filename is not None:
        asset.filename = body.filename
    elif body.folder_id is not None:
        await ctx.load_scope_kinds([asset.scope_id])
        _scope, folder_id = await target_folder(
            ctx, body.folder_id, ctx.scope_wire(asset.scope_id), "folder_id"
        )
        asset.folder_id = folder_id
    asset.updated_at = utcnow()
    await ctx.session.flush()


async def delete_asset(ctx: V5Context, key: int) -> None:
    asset = await visible_asset(ctx, key, capability="media:delete")
    if asset.deleted:
        raise forbidden(PARAM, f"asset:{key}", "asset")
    trash(asset)
    await ctx.session.flush()


async def existing_assets(ctx: V5Context, wires: set[str]) -> set[str]:
    """Those of ``wires`` (``asset:<n>``) naming live assets the caller may see."""
    keys = {int(w.split(":")[1]) for w in wires if w.split(":")[1].isdigit()}
    if not keys:
        return set()
    stmt = select(Asset.id).where(
        of_tenant(Asset, ctx.tenant_id), Asset.id.in_(sorted(keys)), Asset.deleted.is_(False)
    )
    reach = await ctx.reach("media:read")
    if not reach.everywhere:
        stmt = stmt.where(reach.condition(Asset.scope_id))
    return {f"asset:{row[0]}" for row in await ctx.db.rows(stmt)}
