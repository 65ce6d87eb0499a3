"""``POST /api/v3/media`` as ``multipart/form-data``: the v3 SDK's one-request file upload.

The file goes through the same path as a v5 upload (an upload row, the bytes stored under its
key, the same ingest: sniffing, bombs refused, duplicates by MD5 in the license, variants
queued), so v3 and v5 files are one library. The credential is verified before the form is
read; the body is bounded by the API's body limit (large files take the v5 policy upload).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request

from tenantry.core.base import utcnow
from tenantry.core.errors import BadRequest, FieldError
from tenantry.core.storage import DEFAULT_CHUNK_SIZE
from tenantry.percolate.api.auth import confirm_credential
from tenantry.percolate.api.context import V5Context
from tenantry.percolate.api.ids import invalid
from tenantry.percolate.asset.models import Asset
from tenantry.percolate.asset.service import visible_asset
from tenantry.percolate.upload.bodies import UploadCreate, UploadExt
from tenantry.percolate.upload.models import Upload
from tenantry.percolate.upload.service import check_arrival, create_upload

MAX_FIELD = 10_000
_TEXT_PARTS = (
    "license_id",
    "original_filename",
    "content_type",
    "folder_uid",
    "title",
    "description",
    "tags",
    "ingested_from",
)


@dataclass(frozen=True)
class MediaUpload:
    """The form's text parts, checked."""

    license_id: int
    filename: str
    content_type: str | None
    folder: str
    title: str | None
    description: str | None
    tags: list[str]
    ingested_from: str | None


def is_multipart(request: Request) -> bool:
    return request.headers.get("content-type", "").lower().startswith("multipart/form-data")


def _fields(parts: dict[str, str], file: UploadFile) -> MediaUpload:
    for name, value in parts.items():
        if len(value) > MAX_FIELD:
            raise invalid(name, f"{name} is at most {MAX_FIELD} characters.", value[:200])
    license_id = parts.get("license_id", "").strip()
    if not license_id.isascii() or not license_id.isdigit() or len(license_id) > 18:
        raise invalid("license_id", "license_id is the license's number.", license_id[:200])
    folder = parts.get("folder_uid", "").strip() or "primary"
    if folder != "primary" and not (
        folder.startswith("folder:") and folder[7:].isdigit() and len(folder) <= 25
    ):
        raise invalid("folder_uid", "folder_uid is folder:<n> or primary.", folder[:200])
    filename = (parts.get("original_filename") or file.filename or "").strip()
    if not filename or len(filename) > 255:
        raise invalid("original_filename", "The file needs a name (at most 255 characters).")
    content_type = (parts.get("content_type") or file.content_type or "").strip() or None
    if content_type is not None and len(content_type) > 255:
        raise invalid("content_type", "content_type is at most 255 characters.")
    title = parts.get("title")
    if title is not None and len(title) > 255:
        raise invalid("title", "title is at most 255 characters.", title[:200])
    ingested = parts.get("ingested_from")
    if ingested is not None and len(ingested) > 255:
        raise invalid("ingested_from", "ingested_from is at most 255 characters.")
    tags = list(dict.fromkeys(t.strip() for t in parts.get("tags", "").split(",") if t.strip()))
    return MediaUpload(
        license_id=int(license_id),
        filename=filename,
        content_type=content_type,
        folder="folder:primary" if folder == "primary" else folder,
        title=title,
        description=parts.get("description"),
        tags=tags[:200],
        ingested_from=ingested,
    )


async def _chunks(upload: UploadFile) -> AsyncIterator[bytes]:
    while chunk := await upload.read(DEFAULT_CHUNK_SIZE):
        yield chunk


MAX_PARTS = len(_TEXT_PARTS) + 5
_TEXT = {"type": "string"}
UPLOAD_FORM: dict[str, Any] = {
    "type": "object",
    "required": ["content_file", "license_id"],
    "properties": {
        "content_file": {"type": "string", "format": "binary"},
        **{name: _TEXT for name in _TEXT_PARTS},
    },
}
"""The form's OpenAPI schema (the SDK sends every part as text, the file last)."""


async def check_request(request: Request) -> None:
    """Before the form is read: a good credential (401 else), so an anonymous client cannot
    make the server spool a form."""
    await confirm_credential(request)


def parse_form(form: FormData) -> tuple[MediaUpload, UploadFile]:
    """The checked text parts and the file."""
    file = form.get("content_file")
    if not isinstance(file, UploadFile):
        raise BadRequest(
            "The form has no content_file part.", [FieldError("content_file", "Required.")]
        )
    parts = {name: value for name, value in form.items() if isinstance(value, str)}
    return _fields(parts, file), file


async def store_media(ctx: V5Context, fields: MediaUpload, file: UploadFile) -> Asset:
    """The asset the file became (or the license's existing one with the same bytes)."""
    key = await create_upload(
        ctx,
        UploadCreate(
            scope_id=f"license:{fields.license_id}",
            type="file",
            destination_id=fields.folder,
            ext=UploadExt(filename=fields.filename, content_type=fields.content_type),
        ),
    )
    upload = await ctx.session.get(Upload, (ctx.tenant_id, key))
    assert upload is not None
    upload.created_through = fields.ingested_from
    storage = ctx.platform.storage
    try:
        await storage.put(
            upload.storage_key, _chunks(file), fields.content_type or "application/octet-stream"
        )
        await check_arrival(ctx, key)
    except BaseException:
        await storage.delete(upload.storage_key)
        raise
    if upload.status == "error" or upload.asset_id is None:
        message = upload.error or "The file could not be stored."
        raise invalid("content_file", message, fields.filename)
    asset = await visible_asset(ctx, upload.asset_id)
    if upload.status == "ready":
        if fields.title is not None:
            asset.title = fields.title[:255]
        if fields.description is not None:
            asset.description = fields.description
        if fields.tags:
            asset.tags = fields.tags
        asset.updated_at = utcnow()
        await ctx.session.flush()
    return asset
