"""One exception family for the whole platform; each API face renders it in its own format.

The core never builds vendor JSON. A face registers an :data:`ErrorRenderer` for the path
prefix it is mounted at; anything outside every face gets a neutral problem+json body. A face
whose own middleware adds headers to every answer also registers them as
:data:`EdgeHeaders`, so the answers the core gives before that middleware runs (the body
limit's 413, a refused URL, an unhandled error's 500) carry them too.
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
EdgeHeaders = Callable[[Request], list[tuple[bytes, bytes]]]


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
        self._headers_by_prefix: list[tuple[str, EdgeHeaders]] = []

    def register(self, path_prefix: str, renderer: ErrorRenderer) -> None:
        """Render errors under ``path_prefix`` with ``renderer`` (longest prefix wins)."""
        self._by_prefix = [(p, r) for p, r in self._by_prefix if p != path_prefix]
        self._by_prefix.append((path_prefix, renderer))
        self._by_prefix.sort(key=lambda item: len(item[0]), reverse=True)

    def register_edge_headers(self, path_prefix: str, headers: EdgeHeaders) -> None:
        """Add ``headers(request)`` to the errors the core answers under ``path_prefix``
        outside the face's own middleware (longest prefix wins)."""
        kept = [(p, h) for p, h in self._headers_by_prefix if p != path_prefix]
        self._headers_by_prefix = sorted(
            [*kept, (path_prefix, headers)], key=lambda item: len(item[0]), reverse=True
        )

    def render(self, request: Request, error: TenantryError) -> Response:
        path = request.url.path
        for prefix, renderer in self._by_prefix:
            if path.startswith(prefix):
                return renderer(request, error)
        return problem_json(request, error)

    def render_at_edge(self, request: Request, error: TenantryError) -> Response:
        """:meth:`render`, plus the face's edge headers: for answers given before (or
        after) the face's middleware had its turn."""
        response = self.render(request, error)
        path = request.url.path
        for prefix, headers in self._headers_by_prefix:
            if path.startswith(prefix):
                response.raw_headers.extend(headers(request))
                break
        return response
