"""The upload jobs: fetch a URL upload, and give up an upload never completed."""

from __future__ import annotations

from typing import Any

from tenantry.core.base import utcnow
from tenantry.core.jobs import JobContext, job_handlers
from tenantry.core.storage import open_storage
from tenantry.percolate.asset.ingest import ingest
from tenantry.percolate.upload.fetch import FetchFailed, fetch_into
from tenantry.percolate.upload.models import Upload
from tenantry.percolate.upload.multipart import abort_parts
from tenantry.percolate.upload.service import EXPIRE_JOB, FETCH_JOB, apply_outcome, arrival_of


async def _upload(ctx: JobContext, payload: dict[str, Any]) -> Upload | None:
    assert ctx.tenant_id is not None
    upload = await ctx.session.get(Upload, (ctx.tenant_id, int(payload["upload_id"])))
    return upload if upload is not None and upload.status == "uploading" else None


@job_handlers.register(FETCH_JOB)
async def fetch_upload(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Fetch the URL into storage, then ingest it (or record why not)."""
    upload = await _upload(ctx, payload)
    if upload is None or ctx.tenant_id is None:
        return
    storage = open_storage(ctx.settings)
    try:
        try:
            fetched_type = await fetch_into(
                str(upload.ext.get("url", "")),
                storage,
                upload.storage_key,
                allow_private=ctx.settings.allow_private_webhooks,
            )
        except FetchFailed as failed:
            await storage.delete(upload.storage_key)
            upload.status, upload.error, upload.updated_at = "error", str(failed), utcnow()
            return
        if fetched_type and not upload.ext.get("content_type"):
            upload.ext = {**upload.ext, "content_type": fetched_type}
        outcome = await ingest(ctx.session, ctx.tenant_id, storage, arrival_of(upload))
        if outcome is not None:
            apply_outcome(upload, outcome)
    finally:
        await storage.close()


@job_handlers.register(EXPIRE_JOB)
async def expire_upload(ctx: JobContext, payload: dict[str, Any]) -> None:
    """An upload still ``uploading`` at its expiry becomes ``error`` and its bytes go."""
    upload = await _upload(ctx, payload)
    if upload is None or upload.expires_at > utcnow():
        return
    storage = open_storage(ctx.settings)
    try:
        await abort_parts(ctx.session, storage, upload)
        await storage.delete(upload.storage_key)
    finally:
        await storage.close()
    upload.status, upload.error, upload.updated_at = "error", "The upload expired.", utcnow()
