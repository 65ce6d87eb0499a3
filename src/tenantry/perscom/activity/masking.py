"""What the API log keeps of headers and bodies: credentials and secrets masked, bodies capped.

A log that anyone with ``view:log`` reads must not hand out API keys, passwords or webhook
secrets, so masking happens before anything is stored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl, urlencode

import orjson

from tenantry.core.bodies import JsonRefused, parse_json

__all__ = ["MASK", "STORED_BYTES", "mask_body", "mask_headers", "mask_query"]

MASK = "********"
STORED_BYTES = 4096
"""At most this much of a body is kept (after masking)."""
_SECRET_HEADERS = frozenset(
    {"authorization", "cookie", "set-cookie", "proxy-authorization", "x-api-key"}
)
_SECRET_KEY = re.compile(
    r"(pass(word)?|secret|token|api_?key|authorization|client_secret|code_verifier|^code$)",
    re.IGNORECASE,
)
_MAYBE_SECRET = (b"pass", b"secret", b"token", b"key", b"authorization", b"code", b"\\u")
"""Lower-cased bytes a JSON body holds if any of its keys could be secret (``\\u``: an
escaped key could spell one): without them the body is stored as sent, unparsed."""


def mask_headers(headers: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    kept: dict[str, str] = {}
    for raw_name, raw_value in headers:
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1")
        kept[name] = MASK if name in _SECRET_HEADERS else value[:500]
    return kept


def mask_query(query: str) -> str | None:
    if not query:
        return None
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode([(k, MASK if _SECRET_KEY.search(k) else v) for k, v in pairs])[:2048]


def _secret(key: Any, value: Any) -> bool:
    return isinstance(key, str) and value is not None and bool(_SECRET_KEY.search(key))


def _masked(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: MASK if _secret(k, v) else _masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v) for v in value]
    return value


def mask_body(body: bytes, content_type: str, *, complete: bool, size: int) -> str | None:
    """The body as it is stored: JSON and forms with secret fields masked, multipart and
    other binary bodies summarised, and ``STORED_BYTES`` at most. ``complete`` False: only
    the start was captured, which cannot be masked safely, so only its size is kept."""
    if size == 0:
        return None
    kind = content_type.split(";", 1)[0].strip().lower()
    if not complete:
        return f"[{size} bytes, not kept]"
    if kind == "application/json" or kind.endswith("+json"):
        try:
            lowered = body.lower()
            if not any(word in lowered for word in _MAYBE_SECRET):
                orjson.loads(body)  # only valid JSON is kept
                text = body.decode()
            else:
                text = orjson.dumps(_masked(parse_json(body))).decode()
        except (JsonRefused, orjson.JSONDecodeError, UnicodeDecodeError):
            return f"[{size} bytes of invalid JSON, not kept]"
    elif kind == "application/x-www-form-urlencoded":
        text = mask_query(body.decode("latin-1")) or ""
    elif kind.startswith("text/"):
        text = body.decode("utf-8", "replace")
    else:
        return f"[{kind or 'unknown'} body, {size} bytes]"
    if len(text) > STORED_BYTES:
        return text[:STORED_BYTES] + f"…[{size} bytes in all]"
    return text
