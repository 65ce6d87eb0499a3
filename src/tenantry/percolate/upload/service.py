"""Upload rules: open an upload, notice its file arrived (the poll or a completion PUT),
ingest it into an asset, give it up.

Completion is detected when the client asks: a poll (``GET``) or ``PUT {"status": "ready"}``
looks for the object under the upload's key (joining a multipart upload's parts first) and
ingests it in that request's transaction. This is the same on local storage and S3, and
needs no bucket notifications.
"""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from tenantry.core.base import utcnow
from tenantry.core.errors import Conflict, FieldError
from tenantry.core.jobs import enqueue
from tenantry.core.resources.scoped import of_tenant
from tenantry.core.webhooks.destinations import check_destination
from tenantry.percolate.api.context import V5Context, forbidden
from tenantry.percolate.api.ids import invalid, parse_scope
from tenantry.percolate.asset.ingest import Arrival, Outcome, ingest
from tenantry.percolate.asset.models import Asset
from tenantry.percolate.folder.service import target_folder
from tenantry.percolate.upload.bodies import UploadCreate, UploadUpdate
from tenantry.percolate.upload.models import Upload
from tenantry.percolate.upload.multipart import PartsPending, abort_parts, complete_parts

EXPIRE_JOB = "percolate.upload.expire"
FETCH_JOB = "percolate.upload.fetch"
LIFETIME = timedelta(hours=24)
"""An upload not completed by then is given up and its stored bytes removed."""
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_filename(name: str) -> str:
    """A file name usable as the last segment of a storage key."""
    cleaned = _UNSAFE.sub("_", name.replace("\\", "/").rsplit("/", 1)[-1]).strip("._")
    return cleaned[:200] or "file"


def storage_key(tenant_id: int, upload_id: int, filename: str) -> str:
    return f"uploads/{tenant_id}/{upload_id}/{safe_filename(filename)}"


async def create_upload(ctx: V5Context, body: UploadCreate) -> int:
    scope_id, folder_id = await target_folder(
        ctx, body.destination_id, body.scope_id, "destination_id"
    )
    await ctx.require("asset:upload", scope_id, "scope_id", body.scope_id)
    ext = body.ext.model_dump(exclude_none=True)
    if body.type == "file" and not body.ext.filename:
        raise invalid("ext.filename", "A file upload needs ext.filename.")
    if body.type == "url":
        if not body.ext.url:
            raise invalid("ext.url", "A url upload needs ext.url.")
        allow_private = ctx.platform.settings.allow_private_webhooks
        checked = await check_destination(body.ext.url, allow_private)
        ext["url"] = checked.url
    if body.progress is not None:
        ext["progress"] = body.progress
    if body.asset_id is not None:
        await _replaceable(ctx, body.asset_id, scope_id)
        ext["replaces_id"] = body.asset_id
    filename = body.ext.filename or body.ext.url or "file"
    upload = Upload(
        tenant_id=ctx.tenant_id,
        scope_id=scope_id,
        type=body.type,
        status="uploading",
        destination_id=folder_id,
        creator_id=ctx.user_id,
        ext=ext,
        expires_at=utcnow() + LIFETIME,
    )
    ctx.session.add(upload)
    await ctx.session.flush()
    upload.storage_key = storage_key(ctx.tenant_id, upload.id, filename.rsplit("?", 1)[0])
    if body.ext.file_hash and body.asset_id is None:
        twin = await _asset_with_hash(ctx, scope_id, body.ext.file_hash.lower())
        if twin is not None:
            upload.status, upload.asset_id = "duplicate", twin
    if upload.status == "uploading":
        payload = {"upload_id": upload.id}
        await enqueue(
            ctx.session, EXPIRE_JOB, payload, tenant_id=ctx.tenant_id, run_at=upload.expires_at
        )
        if body.type == "url":
            await enqueue(ctx.session, FETCH_JOB, payload, tenant_id=ctx.tenant_id)
    await ctx.session.flush()
    return upload.id


async def _replaceable(ctx: V5Context, wire: str, scope_id: int) -> None:
    """A live asset of the upload's scope the caller may read and change (403 else)."""
    asset = await ctx.session.get(Asset, (ctx.tenant_id, int(wire.split(":")[1])))
    if asset is None or asset.deleted or not await ctx.can("media:read", asset.scope_id):
        raise forbidden("asset_id", wire, "asset")
    await ctx.require("media:update", asset.scope_id, "asset_id", wire)
    if asset.scope_id != scope_id:
        raise invalid("asset_id", "The asset is in another library than scope_id.", wire)


async def _asset_with_hash(ctx: V5Context, scope_id: int, file_hash: str) -> int | None:
    found = await ctx.session.scalar(
        select(Asset.id).where(
            of_tenant(Asset, ctx.tenant_id),
            Asset.scope_id == scope_id,
            Asset.file_hash == file_hash,
            Asset.deleted.is_(False),
        )
    )
    return None if found is None else int(found)


def apply_outcome(upload: Upload, outcome: Outcome) -> None:
    """The upload's status, asset and file facts after an ingest."""
    upload.status = outcome.status
    upload.asset_id = outcome.asset_id
    upload.error = outcome.error
    facts = {
        "file_hash": outcome.file_hash,
        "file_size": outcome.size,
        "content_type": outcome.content_type,
    }
    upload.ext = {**upload.ext, **{k: v for k, v in facts.items() if v is not None}}
    upload.updated_at = utcnow()


def arrival_of(upload: Upload) -> Arrival:
    return Arrival(
        key=upload.storage_key,
        scope_id=upload.scope_id,
        folder_id=upload.destination_id,
        filename=str(upload.ext.get("filename") or upload.storage_key.rsplit("/", 1)[-1]),
        declared_type=upload.ext.get("content_type"),
        creator_id=upload.creator_id,
        created_through=upload.created_through,
        replaces=_replaced(upload),
    )


def _replaced(upload: Upload) -> int | None:
    wire = upload.ext.get("replaces_id")
    return int(wire.split(":")[1]) if isinstance(wire, str) and ":" in wire else None


async def visible_upload(ctx: V5Context, key: int) -> Upload:
    upload = await ctx.session.get(Upload, (ctx.tenant_id, key))
    if upload is None or not await ctx.can("asset:upload", upload.scope_id):
        raise forbidden("upload_id", f"upload:{key}", "upload")
    return upload


async def check_arrival(ctx: V5Context, key: int, *, strict: bool = False) -> bool:
    """Ingest the upload's file if it arrived; whether the upload is settled now.

    ``strict`` (the client said ``ready``) raises :class:`PartsPending` for a multipart
    upload whose parts do not hold the declared size yet."""
    upload = await visible_upload(ctx, key)
    if upload.status != "uploading" or upload.type != "file":
        return upload.status != "uploading"
    await complete_parts(ctx.session, ctx.platform.storage, upload, strict=strict)
    if upload.status != "uploading":
        await ctx.session.flush()
        return True
    outcome = await ingest(ctx.session, ctx.tenant_id, ctx.platform.storage, arrival_of(upload))
    if outcome is None:
        return False
    apply_outcome(upload, outcome)
    await ctx.session.flush()
    return True


async def update_upload(ctx: V5Context, key: int, body: UploadUpdate) -> None:
    upload = await visible_upload(ctx, key)
    if body.scope_id is not None:
        named = await ctx.scope_of(parse_scope(body.scope_id, "scope_id"), "scope_id")
        if named != upload.scope_id:
            raise invalid("scope_id", "An upload cannot change its scope.", body.scope_id)
    if body.progress is not None:
        upload.ext = {**upload.ext, "progress": body.progress}
    if body.status == "ready":
        try:
            arrived = await check_arrival(ctx, key, strict=True)
        except PartsPending as pending:
            raise Conflict(
                pending.message, [FieldError("status", pending.message, "ready")]
            ) from None
        if not arrived:
            message = "The file has not arrived in storage yet."
            raise Conflict(message, [FieldError("status", message, "ready")])
    if body.status == "error" and upload.status == "uploading":
        upload.status, upload.error = "error", "Given up by the client."
        await abort_parts(ctx.session, ctx.platform.storage, upload)
        await ctx.platform.storage.delete(upload.storage_key)
    upload.updated_at = utcnow()
    await ctx.session.flush()
