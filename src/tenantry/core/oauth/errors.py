"""Errors on the token endpoint are RFC 6749 §5.2 bodies, so stock OAuth libraries read them."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tenantry.core.errors import TenantryError

RFC_ERRORS = {401: "invalid_client", 429: "slow_down"}

__all__ = ["render_token_error"]


def render_token_error(request: Request, error: TenantryError) -> Response:
    """Anything the platform raises under a token endpoint (a wrong method, a crash)."""
    if error.status >= 500:
        code = "server_error"
    else:
        code = RFC_ERRORS.get(error.status, "invalid_request")
    headers = {"Cache-Control": "no-store", "Pragma": "no-cache", **error.headers}
    return JSONResponse(
        {"error": code, "error_description": error.message},
        status_code=error.status,
        headers=headers,
    )
