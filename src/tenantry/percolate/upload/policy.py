"""``POST /api/v5/upload_policy/`` (reference §3.5): one-time credentials for one file.

``s3`` is a browser form POST: the storage backend signs a policy pinning the upload's key
prefix, the length range and a 30-minute expiry; ``ext.fields`` are the form fields to send,
in order, with the file last (each field is also repeated at the top of ``ext``, as the
vendor's SDK reads them). The local backend verifies the same policy at its own URL.
``s3_multipart`` hands out one part's presigned ``PUT`` URL per policy (see ``multipart``).
"""

from __future__ import annotations

from typing import Any

from tenantry.core.storage import LocalStorage, S3Storage
from tenantry.core.storage.multipart import MIN_PART_SIZE
from tenantry.core.storage.policy import LOCAL_BUCKET
from tenantry.percolate.api.context import V5Context, forbidden
from tenantry.percolate.api.ids import IdKind, invalid
from tenantry.percolate.api.wire import timestamp as format_timestamp
from tenantry.percolate.upload.bodies import UploadPolicyCreate
from tenantry.percolate.upload.declaration import KIND as UPLOAD
from tenantry.percolate.upload.models import Upload, UploadPolicy
from tenantry.percolate.upload.multipart import declared_size, start_or_resume
from tenantry.percolate.upload.service import visible_upload

KIND = IdKind("upload_policy")
POLICY_LIFETIME = 30 * 60
SINGLE_PART_LIMIT = 5 * 1024**3
"""S3 refuses single-part uploads above 5 GiB."""


def _bucket(ctx: V5Context) -> str:
    storage = ctx.platform.storage
    if isinstance(storage, S3Storage):
        return storage.config.bucket
    return LOCAL_BUCKET


async def create_policy(ctx: V5Context, body: UploadPolicyCreate) -> dict[str, Any]:
    upload: Upload = await visible_upload(ctx, UPLOAD.parse(body.upload_id, "upload_id"))
    if upload.type != "file":
        raise invalid("upload_id", "Only file uploads take a policy.", body.upload_id)
    if upload.status != "uploading":
        raise invalid("upload_id", f"The upload is already {upload.status}.", body.upload_id)
    storage = ctx.platform.storage
    if not isinstance(storage, LocalStorage | S3Storage):
        raise forbidden("upload_id", body.upload_id, "upload")
    if body.type == "s3_multipart":
        return await _part_policy(ctx, body, upload)
    declared = upload.ext.get("file_size")
    if isinstance(declared, int) and declared > SINGLE_PART_LIMIT:
        raise invalid("type", "Files above 5 GiB need s3_multipart.", body.type)
    limit = declared if isinstance(declared, int) else SINGLE_PART_LIMIT
    prefix = upload.storage_key.rsplit("/", 1)[0] + "/"
    post = await storage.presigned_post(prefix, max(limit, 1), POLICY_LIFETIME)
    fields = dict(post["fields"])
    fields["key"] = upload.storage_key
    policy = UploadPolicy(
        tenant_id=ctx.tenant_id, upload_id=upload.id, type=body.type, key=upload.storage_key
    )
    ctx.session.add(policy)
    await ctx.session.flush()
    return {
        "data": {
            "id": KIND.encode(policy.id),
            "type": body.type,
            "upload_id": UPLOAD.encode(upload.id),
            "url": post["url"],
            "updated_at": format_timestamp(policy.updated_at),
            "ext": {
                **fields,
                "bucket": _bucket(ctx),
                "key_name": upload.storage_key,
                "fields": fields,
            },
        }
    }


async def _part_policy(ctx: V5Context, body: UploadPolicyCreate, upload: Upload) -> dict[str, Any]:
    """The URL to ``PUT`` one part to (the multipart upload starts with the first policy)."""
    if declared_size(upload) is None:
        raise invalid(
            "type",
            f"s3_multipart is for files of at least {MIN_PART_SIZE} bytes (ext.file_size).",
            body.type,
        )
    storage = ctx.platform.storage
    multipart_id = await start_or_resume(ctx.session, storage, upload)
    number = body.ext.part_number or 1
    url = await storage.presigned_part_url(
        upload.storage_key, multipart_id, number, POLICY_LIFETIME
    )
    policy = UploadPolicy(
        tenant_id=ctx.tenant_id,
        upload_id=upload.id,
        type=body.type,
        key=upload.storage_key,
        multipart_id=multipart_id,
    )
    ctx.session.add(policy)
    await ctx.session.flush()
    ext: dict[str, Any] = {
        "part_number": number,
        "method": "PUT",
        "bucket": _bucket(ctx),
        "key_name": upload.storage_key,
        "min_part_size": MIN_PART_SIZE,
    }
    if body.ext.content_length is not None:
        ext["Content-Length"] = body.ext.content_length
    return {
        "data": {
            "id": KIND.encode(policy.id),
            "type": body.type,
            "upload_id": UPLOAD.encode(upload.id),
            "url": url,
            "updated_at": format_timestamp(policy.updated_at),
            "ext": ext,
        }
    }
