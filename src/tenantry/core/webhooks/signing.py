"""Webhook signatures: HMAC-SHA256 over ``"{timestamp}.{body}"`` with the endpoint's secret.

That is Tenantry's own scheme (:attr:`SigningScheme.TENANTRY`). A face whose vendor signs
differently picks :attr:`SigningScheme.BODY_HMAC`: a bare hex HMAC-SHA256 of the body in a
``Signature`` header, as spatie/laravel-webhook-server sends it (no timestamp, so a receiver
cannot refuse a replayed capture: the vendor's choice, kept for compatible receivers).

The timestamp is signed with the body, so a receiver that checks it against its clock
(:func:`verify_signature` with a tolerance) refuses a captured request replayed later, and
cannot be fooled by a fresh timestamp on an old body. Every attempt is signed when it is
sent, so retries and replays carry a current timestamp.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping
from enum import StrEnum

__all__ = [
    "BODY_SIGNATURE_HEADER",
    "DEFAULT_TOLERANCE_SECONDS",
    "DELIVERY_HEADER",
    "EVENT_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "SigningScheme",
    "body_signature",
    "sign",
    "signature_headers",
    "verify_body_signature",
    "verify_signature",
]

SIGNATURE_HEADER = "X-Tenantry-Signature"
"""``sha256=<hex>``; several comma-separated values are accepted by :func:`verify_signature`
(a sender may sign with an old and a new secret while a receiver rotates)."""
TIMESTAMP_HEADER = "X-Tenantry-Timestamp"
"""Unix seconds when the attempt was signed."""
EVENT_HEADER = "X-Tenantry-Event"
DELIVERY_HEADER = "X-Tenantry-Delivery"
"""The same for every attempt of one delivery: receivers deduplicate on it (delivery is
at least once; a replay is a new delivery)."""

BODY_SIGNATURE_HEADER = "Signature"
"""The :attr:`SigningScheme.BODY_HMAC` header: hex HMAC-SHA256 of the body, nothing else."""

DEFAULT_TOLERANCE_SECONDS = 300.0
_SCHEME = "sha256="


class SigningScheme(StrEnum):
    TENANTRY = "tenantry"
    """``X-Tenantry-Timestamp`` + ``X-Tenantry-Signature: sha256=<hex>`` of ``ts.body``."""
    BODY_HMAC = "body-hmac"
    """``Signature: <hex>`` of the body alone."""

    def headers(self, secret: str, body: bytes) -> dict[str, str]:
        """The signature headers of one attempt under this scheme."""
        if self is SigningScheme.BODY_HMAC:
            return {BODY_SIGNATURE_HEADER: body_signature(secret, body)}
        return signature_headers(secret, body)


def body_signature(secret: str, body: bytes) -> str:
    """Hex HMAC-SHA256 of ``body`` (the :attr:`SigningScheme.BODY_HMAC` value)."""
    if not secret:
        raise ValueError("a webhook secret must not be empty")
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_body_signature(secret: str, body: bytes | str, headers: Mapping[str, str]) -> bool:
    """Whether ``headers`` carry the :attr:`SigningScheme.BODY_HMAC` signature of ``body``."""
    lowered = {name.lower(): value for name, value in headers.items()}
    offered = lowered.get(BODY_SIGNATURE_HEADER.lower(), "").strip()
    if not secret or not offered:
        return False
    raw = body.encode() if isinstance(body, str) else body
    return hmac.compare_digest(offered.encode(), body_signature(secret, raw).encode())


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header value for ``body`` sent at ``timestamp``."""
    if not secret:
        raise ValueError("a webhook secret must not be empty")
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return _SCHEME + mac.hexdigest()


def signature_headers(secret: str, body: bytes, *, timestamp: int | None = None) -> dict[str, str]:
    """The timestamp and signature headers of one attempt."""
    stamp = int(time.time()) if timestamp is None else timestamp
    return {TIMESTAMP_HEADER: str(stamp), SIGNATURE_HEADER: sign(secret, stamp, body)}


def verify_signature(
    secret: str,
    body: bytes | str,
    headers: Mapping[str, str],
    tolerance: float = DEFAULT_TOLERANCE_SECONDS,
    *,
    now: float | None = None,
) -> bool:
    """Whether ``headers`` carry a valid signature of ``body`` made within ``tolerance``
    seconds of ``now`` (either side, for clock skew). Header names are case-insensitive;
    ``body`` must be the raw bytes received, before any JSON parsing."""
    lowered = {name.lower(): value for name, value in headers.items()}
    stamp_text = lowered.get(TIMESTAMP_HEADER.lower(), "").strip()
    offered = lowered.get(SIGNATURE_HEADER.lower(), "")
    if not secret or not stamp_text.isascii() or not stamp_text.isdigit():
        return False
    stamp = int(stamp_text)
    current = time.time() if now is None else now
    if abs(current - stamp) > tolerance:
        return False
    raw = body.encode() if isinstance(body, str) else body
    expected = sign(secret, stamp, raw)
    return any(
        hmac.compare_digest(candidate.strip().encode(), expected.encode())
        for candidate in offered.split(",")
    )
