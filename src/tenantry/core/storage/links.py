"""Signed, expiring download links to stored objects, served by the app on any backend.

A private file (an attachment) must not be readable from a guessable URL, yet API
payloads are rendered synchronously. So the link is an HMAC over key and expiry (the
same signature the local backend's presigned GETs use), computed without I/O; the
``GET /files/{key}`` route (:mod:`tenantry.core.storage.routes`) checks it and streams the
object from whichever backend is set.
"""

from __future__ import annotations

import time
from urllib.parse import quote, urlencode

from tenantry.core.storage.local import FILES_PATH
from tenantry.core.storage.policy import sign_get

LINK_SECONDS = 3600
"""A rendered link stays valid for one to two of these."""


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
