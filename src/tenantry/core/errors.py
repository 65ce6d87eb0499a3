"""One exception family for the whole platform; each API face renders it in its own format.

The core never builds vendor JSON. A face registers an :data:`ErrorRenderer` for the path
prefix it is mounted at; anything outside every face gets a neutral problem+json body.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response


@dataclass(frozen=True)
class FieldError:
    """One offending input: where it is (``key``, a face-neutral path), what is wrong."""

    key: str | None
    message: str
    value: Any = None
    code: str = "invalid"


@dataclass
class TenantryError(Exception):
    """Base of every error a client can cause. ``status`` is the default HTTP status."""

    message: str = "The request could not be completed."
    errors: list[FieldError] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    status: ClassVar[int] = 400
    kind: ClassVar[str] = "bad_request"

    def __str__(self) -> str:
        return self.message


class BadRequest(TenantryError):
    status = 400
    kind = "bad_request"


class ValidationFailed(TenantryError):
    """Input of the right syntax but wrong content (faces choose 400 or 422)."""

    status = 422
    kind = "validation"


class Unauthenticated(TenantryError):
    status = 401
    kind = "unauthenticated"


class Forbidden(TenantryError):
    status = 403
    kind = "forbidden"


class NotFound(TenantryError):
    status = 404
    kind = "not_found"


class MethodNotAllowed(TenantryError):
    status = 405
    kind = "method_not_allowed"


class Conflict(TenantryError):
    status = 409
    kind = "conflict"


class PayloadTooLarge(TenantryError):
    status = 413
    kind = "payload_too_large"


class RateLimited(TenantryError):
    status = 429
    kind = "rate_limited"


class ServiceUnavailable(TenantryError):
    status = 503
    kind = "unavailable"


class InternalError(TenantryError):
    status = 500
    kind = "internal"


ErrorRenderer = Callable[[Request, TenantryError], Response]


def problem_json(request: Request, error: TenantryError) -> Response:
    """The neutral rendering (RFC 9457 problem details) for routes outside any face."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": error.kind,
        "status": error.status,
        "detail": error.message,
        "request_id": request_id_of(request),
    }
    if error.errors:
        body["errors"] = [{"key": e.key, "message": e.message} for e in error.errors]
    return JSONResponse(
        body, status_code=error.status, headers=error.headers, media_type="application/problem+json"
    )


def request_id_of(request: Request) -> str | None:
    value = request.scope.get("state", {}).get("request_id")
    return value if isinstance(value, str) else None


class ErrorRenderers:
    """Which renderer answers for which path prefix; each face registers its own."""

    def __init__(self) -> None:
        self._by_prefix: list[tuple[str, ErrorRenderer]] = []

    def register(self, path_prefix: str, renderer: ErrorRenderer) -> None:
        """Render errors under ``path_prefix`` with ``renderer`` (longest prefix wins)."""
        self._by_prefix = [(p, r) for p, r in self._by_prefix if p != path_prefix]
        self._by_prefix.append((path_prefix, renderer))
        self._by_prefix.sort(key=lambda item: len(item[0]), reverse=True)

    def render(self, request: Request, error: TenantryError) -> Response:
        path = request.url.path
        for prefix, renderer in self._by_prefix:
            if path.startswith(prefix):
                return renderer(request, error)
        return problem_json(request, error)
