"""Serving a stored object over HTTP: ``Content-Disposition``, single ``Range`` requests, and
the redirect to a short-lived signed URL where the backend can hand bytes out itself (S3).

Bytes are streamed in chunks from storage, never held whole, so a 1 GB download costs the
server one chunk of memory. The local backend seeks to a range's start; other backends skip.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Literal
from urllib.parse import quote

import anyio
from starlette.responses import RedirectResponse, Response, StreamingResponse

from tenantry.core.errors import NotFound
from tenantry.core.storage.base import DEFAULT_CHUNK_SIZE, Storage, StorageKeyNotFound
from tenantry.core.storage.local import LocalStorage
from tenantry.core.storage.s3 import S3Storage

SIGNED_URL_SECONDS = 300
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
Disposition = Literal["attachment", "inline"]


def content_disposition(disposition: Disposition, filename: str) -> str:
    """``attachment; filename="x.jpg"`` with an RFC 5987 ``filename*`` for non-ASCII names."""
    plain = "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "_" for c in filename)
    header = f'{disposition}; filename="{plain}"'
    if plain != filename:
        header += f"; filename*=UTF-8''{quote(filename, safe='')}"
    return header


def parse_range(header: str | None, size: int) -> tuple[int, int] | Literal[False] | None:
    """``(first, last)`` of a satisfiable single range; ``None`` without one (or one we
    ignore, as RFC 9110 allows for several ranges); ``False`` when unsatisfiable."""
    if not header:
        return None
    match = _RANGE.match(header.strip())
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:
        length = int(last)
        if length == 0:
            return False
        return max(size - length, 0), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or end < start:
        return False
    return start, end


async def _local_slice(
    storage: LocalStorage, key: str, start: int, end: int
) -> AsyncIterator[bytes]:
    remaining = end - start + 1
    async with await anyio.open_file(storage.path_for(key), "rb") as handle:
        await handle.seek(start)
        while remaining > 0:
            chunk = await handle.read(min(DEFAULT_CHUNK_SIZE, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk


async def _skipping_slice(storage: Storage, key: str, start: int, end: int) -> AsyncIterator[bytes]:
    position = 0
    async for chunk in storage.stream(key):
        following = position + len(chunk)
        if following > start and position <= end:
            yield chunk[max(start - position, 0) : end - position + 1]
        position = following
        if position > end:
            break


async def serve(
    storage: Storage,
    key: str,
    *,
    filename: str,
    content_type: str,
    disposition: Disposition = "attachment",
    range_header: str | None = None,
) -> Response:
    """The object as a response: a 303 to a signed URL on S3, else the bytes (206 for a range)."""
    headers = {"Content-Disposition": content_disposition(disposition, filename)}
    if isinstance(storage, S3Storage):
        url = await storage.presigned_url(key, SIGNED_URL_SECONDS)
        return RedirectResponse(
            url, status_code=303, headers={**headers, "Cache-Control": "no-store"}
        )
    try:
        stored = await storage.stat(key)
    except StorageKeyNotFound:
        raise NotFound("The file is not in storage.") from None
    size = stored.size
    headers["Accept-Ranges"] = "bytes"
    headers["ETag"] = f'"{stored.etag}"'
    wanted = parse_range(range_header, size)
    if wanted is False:
        return Response(status_code=416, headers={"Content-Range": f"bytes */{size}"})
    start, end = wanted if wanted is not None else (0, size - 1)
    if isinstance(storage, LocalStorage):
        body = _local_slice(storage, key, start, end)
    else:
        body = _skipping_slice(storage, key, start, end)
    headers["Content-Length"] = str(max(end - start + 1, 0))
    status = 200
    if wanted is not None:
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    return StreamingResponse(body, status_code=status, media_type=content_type, headers=headers)
