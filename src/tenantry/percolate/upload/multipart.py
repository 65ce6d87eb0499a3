"""``s3_multipart`` upload policies (reference §3.5): a large file in parts, then completion.

The first policy of an upload starts a multipart upload in storage; each policy hands out
the presigned ``PUT`` URL of one part (``ext.part_number``, 1 when absent). The signature
travels in the URL's query, so the part ``PUT`` needs no ``Authorization`` header. The
upload completes when the client asks (the poll, or ``PUT {"status": "ready"}``) and the
parts stored hold exactly the declared ``ext.file_size``; completion joins them in storage
and the usual ingest follows. Storage refuses parts below 5 MiB but the last, as S3 does.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tenantry.core.base import utcnow
from tenantry.core.resources.scoped import of_tenant
from tenantry.core.storage import Storage, StorageError, StorageKeyNotFound
from tenantry.core.storage.multipart import MIN_PART_SIZE
from tenantry.percolate.upload.models import Upload, UploadPolicy


class PartsPending(Exception):
    """The parts stored do not hold the declared size yet; ``message`` says how far."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


async def multipart_of(session: AsyncSession, tenant_id: int, upload_id: int) -> str | None:
    """The storage's id of the upload's multipart upload, once a policy started it."""
    found = await session.scalar(
        select(UploadPolicy.multipart_id)
        .where(
            of_tenant(UploadPolicy, tenant_id),
            UploadPolicy.upload_id == upload_id,
            UploadPolicy.multipart_id.is_not(None),
        )
        .order_by(UploadPolicy.id)
        .limit(1)
    )
    return None if found is None else str(found)


async def start_or_resume(session: AsyncSession, storage: Storage, upload: Upload) -> str:
    """The upload's multipart id, starting the multipart upload on the first policy.

    The upload's row is locked first (PostgreSQL), so two first policies asked for at once
    share one multipart upload instead of each starting its own."""
    await session.refresh(upload, with_for_update=True)
    known = await multipart_of(session, upload.tenant_id, upload.id)
    if known is not None:
        return known
    content_type = str(upload.ext.get("content_type") or "application/octet-stream")
    return await storage.create_multipart(upload.storage_key, content_type)


def declared_size(upload: Upload) -> int | None:
    size = upload.ext.get("file_size")
    return size if isinstance(size, int) and size >= MIN_PART_SIZE else None


async def complete_parts(
    session: AsyncSession, storage: Storage, upload: Upload, *, strict: bool
) -> None:
    """Join the parts into the upload's object when they hold the declared size.

    Nothing is joined when no multipart upload was started or the object already exists
    (an earlier completion whose ingest did not commit, or a form POST): leftover parts
    are dropped then. Parts short of the size raise
    :class:`PartsPending` when ``strict`` (the client said ``ready``); parts beyond it, or
    parts storage refuses to join, turn the upload into ``error`` and drop the parts.
    """
    multipart_id = await multipart_of(session, upload.tenant_id, upload.id)
    if multipart_id is None:
        return
    if await storage.exists(upload.storage_key):
        await storage.abort_multipart(upload.storage_key, multipart_id)
        return
    try:
        parts = await storage.list_parts(upload.storage_key, multipart_id)
    except StorageKeyNotFound:
        return
    held = sum(part.size for part in parts)
    expected = declared_size(upload) or 0
    if held < expected:
        if strict:
            raise PartsPending(f"The parts hold {held} of the {expected} bytes declared.")
        return
    try:
        if held > expected:
            raise ValueError(f"the parts hold {held} bytes; the upload declared {expected}")
        await storage.complete_multipart(upload.storage_key, multipart_id, parts)
    except (ValueError, StorageError) as refused:
        await storage.abort_multipart(upload.storage_key, multipart_id)
        upload.status, upload.updated_at = "error", utcnow()
        upload.error = f"The parts cannot be joined: {refused}."


async def abort_parts(session: AsyncSession, storage: Storage, upload: Upload) -> None:
    """Drop the parts of an upload given up (expired, or abandoned by the client)."""
    multipart_id = await multipart_of(session, upload.tenant_id, upload.id)
    if multipart_id is not None:
        await storage.abort_multipart(upload.storage_key, multipart_id)
