"""Files over HTTP: the browser form POST an S3 policy allows, and signed GETs.

A client uploads to the embedded default exactly as to S3: ``POST /files`` with the policy's
fields and the file last; the policy is verified (signature, expiry, key prefix, length
range) before the object is written, and success is S3's ``204 No Content``; with an S3
backend the POST answers 404 (the policy points at S3 itself). ``PUT /files/{key}`` takes
one part of a multipart upload behind its signed part URL. ``GET /files/{key}`` streams
an object of any backend behind a live HMAC signature over key and expiry.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import APIRouter
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from tenantry.core.errors import (
    BadRequest,
    FieldError,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    TenantryError,
)
from tenantry.core.platform import Platform
from tenantry.core.storage.base import (
    DEFAULT_CHUNK_SIZE,
    DEFAULT_CONTENT_TYPE,
    StorageError,
    StorageKeyNotFound,
)
from tenantry.core.storage.local import FILES_PATH, LocalStorage
from tenantry.core.storage.multipart import MAX_PART_SIZE, verify_part
from tenantry.core.storage.policy import PolicyViolation, resolve_upload_key, verify_presigned_get

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
MAX_FORM_FIELDS = 30
MAX_FORM_BYTES = 5 * 1024**3 + 1024**2
"""S3's single-part limit (5 GiB) plus room for the form fields: larger bodies are refused
before a byte is read, so a client cannot make the server spool more than that."""


class LengthRequired(TenantryError):
    status = 411
    kind = "length_required"


def _local(request: Request) -> LocalStorage:
    platform: Platform = request.app.state.platform
    storage = platform.storage
    if not isinstance(storage, LocalStorage):
        raise NotFound("This server stores files in S3; upload there.")
    return storage


def _refused(error: PolicyViolation) -> Forbidden:
    return Forbidden(error.message, [FieldError("policy", error.message, code="policy")])


async def _chunks(upload: UploadFile) -> AsyncIterator[bytes]:
    while chunk := await upload.read(DEFAULT_CHUNK_SIZE):
        yield chunk


@router.post(FILES_PATH, status_code=204)
async def form_upload(request: Request) -> Response:
    """Store one file under the key the signed form allows (S3's browser POST)."""
    storage = _local(request)
    length = request.headers.get("content-length", "")
    if not length.isdigit():
        raise LengthRequired("A form upload needs a Content-Length, as on S3.")
    if int(length) > MAX_FORM_BYTES:
        raise PayloadTooLarge(f"A form upload is at most {MAX_FORM_BYTES} bytes.")
    async with request.form(max_files=1, max_fields=MAX_FORM_FIELDS) as form:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise BadRequest("The form has no file part.", [FieldError("file", "Required.")])
        fields = {name: value for name, value in form.items() if isinstance(value, str)}
        try:
            key = resolve_upload_key(fields.get("key", ""), upload.filename or "")
        except ValueError as error:
            raise _refused(PolicyViolation(str(error))) from None
        size = upload.size if upload.size is not None else 0
        form_type = next(
            (value for name, value in fields.items() if name.lower() == "content-type"), None
        )
        try:
            storage.verify_post_policy(fields, key, size, form_type)
        except PolicyViolation as error:
            raise _refused(error) from None
        content_type = form_type or upload.content_type or DEFAULT_CONTENT_TYPE
        await storage.put(key, _chunks(upload), content_type)
    return Response(status_code=204)


@router.put(FILES_PATH + "/{key:path}")
async def part_upload(request: Request, key: str) -> Response:
    """One part of a multipart upload, behind a live part URL (S3's ``UploadPart``):
    200 with the part's ``ETag``, as S3 answers."""
    storage = _local(request)
    try:
        upload_id, number = verify_part(
            key,
            dict(request.query_params),
            secret=request.app.state.platform.settings.effective_secret_key,
        )
    except PolicyViolation as error:
        raise _refused(error) from None
    length = request.headers.get("content-length", "")
    if not length.isdigit():
        raise LengthRequired("A part upload needs a Content-Length, as on S3.")
    if int(length) > MAX_PART_SIZE:
        raise PayloadTooLarge(f"A part is at most {MAX_PART_SIZE} bytes.")
    try:
        part = await storage.put_part(key, upload_id, number, request.stream())
    except (StorageKeyNotFound, ValueError):
        raise NotFound("No such upload.") from None
    return Response(status_code=200, headers={"ETag": f'"{part.etag}"'})


@router.get(FILES_PATH + "/{key:path}")
async def signed_download(request: Request, key: str) -> Response:
    """An object behind a live signature (``presigned_url`` of the local backend, or a
    :class:`~tenantry.core.storage.links.FileLinks` link on any backend)."""
    platform: Platform = request.app.state.platform
    try:
        verify_presigned_get(
            key, dict(request.query_params), secret=platform.settings.effective_secret_key
        )
        found = await platform.storage.stat(key)
    except PolicyViolation as error:
        raise _refused(error) from None
    except (StorageKeyNotFound, StorageError, ValueError):
        raise NotFound("No such object.") from None
    return StreamingResponse(
        platform.storage.stream(key),
        media_type=found.content_type,
        headers={"Content-Length": str(found.size), "Cache-Control": "private, max-age=60"},
    )
