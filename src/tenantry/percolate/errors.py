"""Percolate's error body: ``{"errors": [{"code", "message", "key", ...}]}`` (reference §2.9).

Services raise core errors; this renderer is the only place that writes Percolate's shape.
Percolate reports input problems as 400 (never 422), ``key`` is a ``$.field`` pointer or
``null``, and a field error may carry the offending ``value``.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tenantry.core.errors import FieldError, TenantryError

CODES = {
    "bad_request": "input:invalid",
    "validation": "input:invalid_value",
    "unauthenticated": "auth:invalid_token",
    "forbidden": "auth:forbidden",
    "not_found": "resource:not_found",
    "method_not_allowed": "request:method_not_allowed",
    "conflict": "resource:conflict",
    "payload_too_large": "input:too_large",
    "rate_limited": "rate_limit:exceeded",
    "unavailable": "server:unavailable",
    "internal": "server:error",
}

STATUS_OVERRIDES = {422: 400}
"""Percolate has no 422: validation failures are 400."""

__all__ = ["render_percolate_error"]


def _pointer(key: str | None) -> str | None:
    if not key:
        return None
    return key if key.startswith("$") else f"$.{key}"


def _code(error: TenantryError, field: FieldError | None = None) -> str:
    if field is not None and (":" in field.code or "." in field.code):
        return field.code  # already a Percolate code, e.g. "auth:invalid_token"
    return CODES.get(error.kind, "input:invalid")


def render_percolate_error(request: Request, error: TenantryError) -> Response:
    entries: list[dict[str, Any]] = []
    for field in error.errors:
        entry: dict[str, Any] = {
            "code": _code(error, field),
            "message": field.message,
            "key": _pointer(field.key),
        }
        if field.value is not None:
            entry["value"] = field.value
        entries.append(entry)
    if not entries:
        entries.append({"code": _code(error), "message": error.message, "key": None})
    status = STATUS_OVERRIDES.get(error.status, error.status)
    return JSONResponse({"errors": entries}, status_code=status, headers=error.headers)
