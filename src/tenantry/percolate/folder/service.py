"""Folder rules: create, rename, move (never into its own subtree), delete and restore whole
subtrees, with ``updated_at`` as the optimistic-concurrency token."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import update

from tenantry.core.base import utcnow
from tenantry.core.errors import Conflict, FieldError
from tenantry.core.resources.scoped import of_tenant
from tenantry.percolate.api.context import V5Context, forbidden
from tenantry.percolate.api.ids import invalid, parse_scope
from tenantry.percolate.asset.models import Asset
from tenantry.percolate.folder.bodies import FolderCreate, FolderUpdate
from tenantry.percolate.folder.location import parse_location
from tenantry.percolate.folder.models import Folder
from tenantry.percolate.folder.tree import descendants_of


async def library_scope(ctx: V5Context, wire: str | None, key: str) -> int:
    """The scope row a library lives in (a license or brand); the account has none."""
    if wire is None:
        raise invalid(key, "A scope_id is required when the folder is the library root.")
    scope_id = await ctx.scope_of(parse_scope(wire, key), key)
    if scope_id is None:
        raise invalid(key, "Libraries belong to a license or brand, not the account.", wire)
    return scope_id


async def live_folder(ctx: V5Context, key: int, wire_key: str, wire: str) -> Folder:
    """A folder of this account that is not in the trashcan; 403 otherwise."""
    folder = await ctx.session.get(Folder, (ctx.tenant_id, key))
    if folder is None or folder.deleted or not await ctx.can("folders:read", folder.scope_id):
        raise forbidden(wire_key, wire, "folder")
    return folder


async def target_folder(
    ctx: V5Context, wire: str, scope_wire: str | None, key: str
) -> tuple[int, int | None]:
    """``(scope, folder)`` a body's folder reference names (``None`` folder: the root)."""
    location = parse_location(wire, key)
    if location.is_root:
        return await library_scope(ctx, scope_wire, "scope_id"), None
    assert location.key is not None
    folder = await live_folder(ctx, location.key, key, wire)
    if scope_wire is not None:
        named = await ctx.scope_of(parse_scope(scope_wire, "scope_id"), "scope_id")
        if named != folder.scope_id:
            raise invalid("scope_id", "The scope_id is not the parent folder's.", scope_wire)
    return folder.scope_id, folder.id


async def create_folder(ctx: V5Context, body: FolderCreate) -> int:
    scope_id, parent_id = await target_folder(ctx, body.parent_id, body.scope_id, "parent_id")
    await ctx.require("folders:create", scope_id, "scope_id", body.scope_id)
    folder = Folder(
        tenant_id=ctx.tenant_id,
        scope_id=scope_id,
        parent_id=parent_id,
        name=body.name,
        description=body.description,
        creator_id=ctx.user_id,
    )
    ctx.session.add(folder)
    await ctx.session.flush()
    return folder.id


def _check_fresh(folder: Folder, seen: datetime | None) -> None:
    if seen is None:
        return
    seen = seen if seen.tzinfo else seen.replace(tzinfo=UTC)
    stored = (
        folder.updated_at if folder.updated_at.tzinfo else folder.updated_at.replace(tzinfo=UTC)
    )
    if abs((stored - seen).total_seconds()) >= 1:
        message = "The folder changed since updated_at; read it again."
        raise Conflict(message, [FieldError("updated_at", message, seen.isoformat())])


async def trash_folder(ctx: V5Context, folder: Folder) -> None:
    """The folder to the trashcan, and with it every live folder and asset below it."""
    below = await descendants_of(ctx, [folder.id])
    now = utcnow()
    folder.deleted, folder.trashed_with, folder.updated_at = True, None, now
    if below:
        await ctx.session.execute(
            update(Folder)
            .where(of_tenant(Folder, ctx.tenant_id), Folder.id.in_(sorted(below)))
            .values(deleted=True, trashed_with=folder.id, updated_at=now)
        )
    await ctx.session.execute(
        update(Asset)
        .where(
            of_tenant(Asset, ctx.tenant_id),
            Asset.folder_id.in_(sorted({folder.id, *below})),
            Asset.deleted.is_(False),
        )
        .values(deleted=True, trashed_with=folder.id, updated_at=now)
    )
    await ctx.session.flush()


async def restore_folder(ctx: V5Context, folder: Folder) -> None:
    """Back where it was with what its delete took along (to the root if its parent is gone)."""
    now = utcnow()
    if folder.parent_id is not None:
        parent = await ctx.session.get(Folder, (ctx.tenant_id, folder.parent_id))
        if parent is None or parent.deleted:
            folder.parent_id = None
    folder.deleted, folder.trashed_with, folder.updated_at = False, None, now
    for model in (Folder, Asset):
        await ctx.session.execute(
            update(model)
            .where(of_tenant(model, ctx.tenant_id), model.trashed_with == folder.id)
            .values(deleted=False, trashed_with=None, updated_at=now)
        )
    await ctx.session.flush()


async def _move(ctx: V5Context, folder: Folder, wire: str) -> None:
    scope_id, parent_id = await target_folder(
        ctx, wire, ctx.scope_wire(folder.scope_id), "parent_id"
    )
    if parent_id is not None and (
        parent_id == folder.id or parent_id in await descendants_of(ctx, [folder.id])
    ):
        message = "A folder cannot move into itself or one of its descendants."
        raise Conflict(message, [FieldError("parent_id", message, wire)])
    await ctx.require("folders:create", scope_id, "parent_id", wire)
    folder.parent_id = parent_id


async def update_folder(ctx: V5Context, key: int, body: FolderUpdate) -> None:
    wire = f"folder:{key}"
    folder = await ctx.session.get(Folder, (ctx.tenant_id, key))
    if folder is None or not await ctx.can("folders:read", folder.scope_id):
        raise forbidden("folder_id", wire, "folder")
    await ctx.load_scope_kinds([folder.scope_id])
    _check_fresh(folder, body.updated_at)
    if body.deleted is not None:
        if body.deleted:
            await ctx.require("folders:delete", folder.scope_id, "folder_id", wire)
            if not folder.deleted:
                await trash_folder(ctx, folder)
        else:
            await ctx.require("media:restore", folder.scope_id, "folder_id", wire)
            if folder.deleted:
                await restore_folder(ctx, folder)
        return
    if folder.deleted:
        raise forbidden("folder_id", wire, "folder")
    await ctx.require("folders:metadata:update", folder.scope_id, "folder_id", wire)
    if body.parent_id is not None:
        await _move(ctx, folder, body.parent_id)
    if body.name is not None:
        folder.name = body.name
    if "description" in body.model_fields_set:
        folder.description = body.description
    folder.updated_at = utcnow()
    await ctx.session.flush()


async def delete_folder(ctx: V5Context, key: int) -> None:
    wire = f"folder:{key}"
    folder = await live_folder(ctx, key, "folder_id", wire)
    await ctx.require("folders:delete", folder.scope_id, "folder_id", wire)
    await trash_folder(ctx, folder)
