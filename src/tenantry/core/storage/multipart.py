"""Multipart uploads in S3's shape: parts PUT to presigned URLs, then one completion.

A client uploads a large file the same way to either backend: the server starts the
upload, hands out one presigned ``PUT`` URL per part, and completes it from the parts the
store holds. On S3 those are S3's own calls; the local backend signs its part URLs with an
HMAC over key, upload id, part number and expiry (a key of its own purpose, so no other
signature passes for it), and keeps the parts aside until completion joins them.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass

from tenantry.core.storage.base import validate_expires_in, validate_key
from tenantry.core.storage.policy import PolicyViolation

MIN_PART_SIZE = 5 * 1024**2
"""S3 refuses to complete when a part other than the last is smaller."""
MAX_PART_SIZE = 5 * 1024**3
MAX_PARTS = 10_000
_LOCAL_UPLOAD_ID = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True, slots=True)
class UploadedPart:
    """One part a store holds for an unfinished multipart upload."""

    number: int
    size: int
    etag: str


def check_parts(parts: list[UploadedPart]) -> None:
    """Raise ``ValueError`` unless the parts can be completed into one object, as on S3."""
    if not parts:
        raise ValueError("no part has been uploaded")
    for part in parts[:-1]:
        if part.size < MIN_PART_SIZE:
            raise ValueError(
                f"part {part.number} is {part.size} bytes; every part but the last needs"
                f" at least {MIN_PART_SIZE}"
            )


def validate_part_number(number: int) -> int:
    if not 1 <= number <= MAX_PARTS:
        raise ValueError(f"a part number is between 1 and {MAX_PARTS}")
    return number


def validate_local_upload_id(upload_id: str) -> str:
    """Local upload ids name a directory: only the ids :func:`new_upload_id` makes pass."""
    if not _LOCAL_UPLOAD_ID.match(upload_id):
        raise ValueError("not an upload id of this store")
    return upload_id


def _signature(secret: str, key: str, upload_id: str, number: int, expires: str) -> str:
    signing_key = hmac.new(
        secret.encode("utf-8"), b"tenantry.storage.part", hashlib.sha256
    ).digest()
    message = f"{key}\n{upload_id}\n{number}\n{expires}".encode()
    return hmac.new(signing_key, message, hashlib.sha256).hexdigest()


def sign_part(
    key: str,
    upload_id: str,
    number: int,
    expires_in: int,
    *,
    secret: str,
    now: float | None = None,
) -> dict[str, str]:
    """The query parameters of a local part URL (S3's names, our signature)."""
    validate_key(key)
    validate_part_number(number)
    validate_expires_in(expires_in)
    expires = str(int(time.time() if now is None else now) + expires_in)
    return {
        "uploadId": upload_id,
        "partNumber": str(number),
        "expires": expires,
        "signature": _signature(secret, key, upload_id, number, expires),
    }


def verify_part(
    key: str, query: Mapping[str, str], *, secret: str, now: float | None = None
) -> tuple[str, int]:
    """The upload id and part number a live part URL allows; else :class:`PolicyViolation`."""
    upload_id = query.get("uploadId", "")
    number_text = query.get("partNumber", "")
    expires = query.get("expires", "")
    signature = query.get("signature", "")
    if not (number_text.isascii() and number_text.isdigit()):
        raise PolicyViolation("the part URL lacks a valid partNumber")
    if not (expires.isascii() and expires.isdigit()) or not signature or not upload_id:
        raise PolicyViolation("the part URL lacks a valid uploadId, expires or signature")
    number = int(number_text)
    expected = _signature(secret, key, upload_id, number, expires)
    if not hmac.compare_digest(signature, expected):
        raise PolicyViolation("the part URL signature does not match")
    if (time.time() if now is None else now) >= int(expires):
        raise PolicyViolation("the part URL has expired")
    return upload_id, number
