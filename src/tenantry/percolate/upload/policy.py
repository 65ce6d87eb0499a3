"""``POST /api/v5/upload_policy/`` (reference §3.5): one-time credentials for one file.

``s3`` is a browser form POST: the storage backend signs a policy pinning the upload's key
prefix, the length range and a 30-minute expiry; ``ext.fields`` are the form fields to send,
in order, with the file last (each field is also repeated at the top of ``ext``, as the
vendor's SDK reads them). The local backend verifies the same policy at its own URL.
"""

from __future__ import annotations

from typing import Any

from tenantry.core.storage import LocalStorage, S3Storage
from tenantry.core.storage.policy import LOCAL_BUCKET
from tenantry.percolate.api.context import V5Context, forbidden
from tenantry.percolate.api.ids import IdKind, invalid
from tenantry.percolate.api.wire import timestamp as format_timestamp
from tenantry.percolate.upload.bodies import UploadPolicyCreate
from tenantry.percolate.upload.declaration import KIND as UPLOAD
from tenantry.percolate.upload.models import Upload, UploadPolicy
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
    if body.type == "s3_multipart":
        raise invalid("type", "s3_multipart is not supported by this server yet.", body.type)
    declared = upload.ext.get("file_size")
    if isinstance(declared, int) and declared > SINGLE_PART_LIMIT:
        raise invalid("type", "Files above 5 GiB need s3_multipart.", body.type)
    limit = declared if isinstance(declared, int) else SINGLE_PART_LIMIT
    storage = ctx.platform.storage
    if not isinstance(storage, LocalStorage | S3Storage):
        raise forbidden("upload_id", body.upload_id, "upload")
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
