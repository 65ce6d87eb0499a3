"""PERSCOM's error body (§5.1): core errors rendered the way the real server answers.

``{"error": {"message", "type", "request_id", "trace_id"[, "errors"]}}``, with the fixed
messages for 401/402/403/404/429/500/503 and Laravel's exception class names as ``type``.
``request_id`` is the platform's request id (the ``X-Request-Id`` header); the trace id is
the one the face's middleware sends as ``X-Perscom-Trace-Id``.
"""

from __future__ import annotations

import uuid
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from tenantry.core.errors import TenantryError, request_id_of

TRACE_STATE_KEY = "perscom_trace_id"

FIXED_MESSAGES = {
    401: (
        "You are not authenticated. Please provide a valid API key that contains your "
        "PERSCOM ID to continue."
    ),
    402: "A valid subscription is required to complete this request.",
    403: (
        "The API key provided does not have the correct permissions and/or scopes to perform "
        "the requested action."
    ),
    404: "The requested resource or endpoint could not be found.",
    429: "You have exceeded the API rate limit. Please wait a minute before trying again.",
    500: "There was a server error with your last request. Please try again.",
    503: "The API is currently down for maintenance. Please check back later.",
}

TYPES = {
    "bad_request": "HttpException",
    "validation": "ValidationException",
    "unauthenticated": "AuthenticationException",
    "forbidden": "AccessDeniedHttpException",
    "not_found": "NotFoundHttpException",
    "method_not_allowed": "MethodNotAllowedHttpException",
    "conflict": "HttpException",
    "payload_too_large": "PostTooLargeException",
    "rate_limited": "ThrottleRequestsException",
    "unavailable": "HttpException",
    "internal": "Exception",
}


def trace_id_of(request: Request) -> str:
    state = request.scope.setdefault("state", {})
    trace = state.get(TRACE_STATE_KEY)
    if not isinstance(trace, str):
        trace = state[TRACE_STATE_KEY] = str(uuid.uuid4())
    return trace


def error_body(request: Request, status: int, message: str, kind: str) -> dict[str, Any]:
    return {
        "error": {
            "message": FIXED_MESSAGES.get(status, message),
            "type": TYPES.get(kind, "HttpException"),
            "request_id": request_id_of(request),
            "trace_id": trace_id_of(request),
        }
    }


def render_error(request: Request, error: TenantryError) -> Response:
    """The face's :data:`~tenantry.core.errors.ErrorRenderer` for ``/v1`` and ``/v2``."""
    body = error_body(request, error.status, error.message, error.kind)
    if error.errors or error.status == 422:
        grouped: dict[str, list[str]] = {}
        for field_error in error.errors:
            grouped.setdefault(field_error.key or "body", []).append(field_error.message)
        body["error"]["errors"] = grouped
    return Response(
        orjson.dumps(body),
        status_code=error.status,
        headers=error.headers,
        media_type="application/json",
    )
