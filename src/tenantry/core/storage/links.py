"""Signed, expiring download links to stored objects, served by the app on any backend.

A private file (an attachment) must not be readable from a guessable URL, yet API
payloads are rendered synchronously. So the link is an HMAC over key and expiry (the
same signature the local backend's presigned GETs use), computed without I/O, and
``GET /files/{key}`` checks it and streams the object from whichever backend is set.
"""

from __future__ import annotations

import time
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from starlette.responses import Response, StreamingResponse

from tenantry.core.platform import get_platform
from tenantry.core.storage.base import StorageError, StorageKeyNotFound
from tenantry.core.storage.local import FILES_PATH
from tenantry.core.storage.policy import PolicyViolation, sign_get, verify_presigned_get

LINK_SECONDS = 3600
"""A rendered link stays valid for one to two of these."""

router = APIRouter(include_in_schema=False)


class FileLinks:
    """Builds links for one deployment (its base URL and secret)."""

    def __init__(self, base_url: str, secret: str) -> None:
        self._base_url = base_url.rstrip("/")
        self._secret = secret

    def url(self, key: str, *, now: float | None = None) -> str:
        """Valid for one to two hours: the expiry is rounded up to a whole hour, so a row
        shows the same link all hour (stable responses, cacheable downloads)."""
        moment = int(time.time() if now is None else now)
        window = moment - moment % LINK_SECONDS
        params = sign_get(key, 2 * LINK_SECONDS, secret=self._secret, now=window)
        return f"{self._base_url}{FILES_PATH}/{quote(key, safe='/')}?{urlencode(params)}"


@router.get(FILES_PATH + "/{key:path}")
async def download(key: str, request: Request) -> Response:
    """The object, if the link's signature is valid and unexpired; 403 or 404 otherwise."""
    platform = get_platform(request)
    try:
        verify_presigned_get(
            key, dict(request.query_params), secret=platform.settings.effective_secret_key
        )
        stored = await platform.storage.stat(key)
    except PolicyViolation as exc:
        return Response(exc.message, status_code=403, media_type="text/plain")
    except StorageKeyNotFound:
        return Response("not found", status_code=404, media_type="text/plain")
    except StorageError:
        return Response("invalid key", status_code=400, media_type="text/plain")
    return StreamingResponse(
        platform.storage.stream(key),
        media_type=stored.content_type,
        headers={"Content-Length": str(stored.size), "Cache-Control": "private, max-age=60"},
    )
