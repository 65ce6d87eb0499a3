"""What happens to every ``/v<N>/…`` request before routing, as one pure ASGI middleware.

The version check (§1.1: anything but v1/v2 is a 400), Laravel's method spoofing (a POST
with ``_method=put`` in its form, its query or ``X-HTTP-Method-Override`` is a PUT; the SDK
uploads photos that way), CORS, and the response headers PERSCOM sends on every request
(``X-Perscom-Request-Id``, ``X-Perscom-Trace-Id``, the cache headers).
"""

from __future__ import annotations

import re
import tempfile
import uuid
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tenantry.core.bodies import SPOOL_BYTES
from tenantry.core.errors import BadRequest, NotFound, TenantryError
from tenantry.perscom.engine.writes import FORM_STATE_KEY, MAX_FORM_BYTES
from tenantry.perscom.errors import TRACE_STATE_KEY, render_error, trace_id_of

VERSIONS = ("v1", "v2")
BAD_VERSION = "The provided API version is not valid. The currently available versions are: v1, v2"
_VERSIONED = re.compile(r"^/(v\d+)(?:/|$)")
_SPOOFABLE = {"PUT", "PATCH", "DELETE"}
_STATIC_HEADERS = [
    (b"cache-control", b"no-store, max-age=0, public"),
    (b"vary", b"Authorization, X-Perscom-Id"),
    (b"access-control-allow-origin", b"*"),
]


class PerscomMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        match = _VERSIONED.match(scope["path"])
        if match is None:
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})[TRACE_STATE_KEY] = str(uuid.uuid4())
        extra = edge_headers(Request(scope))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        try:
            if match.group(1) not in VERSIONS:
                raise BadRequest(BAD_VERSION)
            if scope["path"] == f"/{match.group(1)}":
                raise NotFound("No such endpoint.")  # not the app's slash redirect
            if scope["method"] == "OPTIONS":
                await _preflight(scope, send_with_headers)
                return
            if scope["method"] == "POST":
                receive = await _spoof_method(scope, receive)
        except TenantryError as error:
            response = render_error(Request(scope), error)
            await response(scope, receive, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)


def edge_headers(request: Request) -> list[tuple[bytes, bytes]]:
    """The headers of every PERSCOM answer; also registered with the core, whose own early
    answers (the body limit's 413, a 500) never pass through this middleware."""
    trace = trace_id_of(request)
    request_id = str(request.scope["state"].get("request_id") or trace)
    return [
        (b"x-perscom-request-id", request_id.encode()),
        (b"x-perscom-trace-id", trace.encode()),
        *_STATIC_HEADERS,
    ]


async def _preflight(scope: Scope, send: Send) -> None:
    headers = dict(scope.get("headers", []))
    allow_headers = headers.get(b"access-control-request-headers", b"*")
    await send(
        {
            "type": "http.response.start",
            "status": 204,
            "headers": [
                (b"access-control-allow-methods", b"GET, POST, PUT, PATCH, DELETE, OPTIONS"),
                (b"access-control-allow-headers", allow_headers),
                (b"access-control-max-age", b"86400"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": b""})


async def _spoof_method(scope: Scope, receive: Receive) -> Receive:
    """Apply Laravel's method override; returns the ``receive`` the app should use."""
    override = _header(scope, b"x-http-method-override")
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    if not override and query.get("_method"):
        override = query["_method"][0]
    content_type = (_header(scope, b"content-type") or "").split(";", 1)[0].strip().lower()
    if override is None and content_type in (
        "multipart/form-data",
        "application/x-www-form-urlencoded",
    ):
        body = await _buffer(scope, receive)
        request = Request(scope, _replay(body, receive))
        request._body = body
        try:
            form = await request.form(max_files=10, max_fields=1000, max_part_size=1024 * 1024)
        except Exception as exc:  # multipart raises several kinds for a malformed body
            raise BadRequest(f"The form body could not be read: {exc}") from None
        scope["state"][FORM_STATE_KEY] = form
        value = form.get("_method")
        override = value if isinstance(value, str) else None
        receive = _replay(body, receive)
    if override and override.strip().upper() in _SPOOFABLE:
        scope["method"] = override.strip().upper()
    return receive


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


async def _buffer(scope: Scope, receive: Receive) -> bytes:
    from tenantry.core.errors import PayloadTooLarge

    declared = _header(scope, b"content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_FORM_BYTES:
        raise PayloadTooLarge("The request body is too large.")
    # Read before the key is checked, so it waits on disk past SPOOL_BYTES (core.bodies).
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > MAX_FORM_BYTES:
                raise PayloadTooLarge("The request body is too large.")
            spool.write(chunk)
            if not message.get("more_body", False):
                break
        spool.seek(0)
        return spool.read()


def _replay(body: bytes, original: Receive) -> Receive:
    """The buffered body once, then the client's own channel (for its disconnect)."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await original()

    return receive
