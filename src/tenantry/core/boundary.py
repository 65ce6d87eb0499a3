"""The first thing every HTTP request meets: a bounded body and a NUL-free URL.

One pure ASGI middleware for both faces, the web pages and the token endpoints:

* **One body limit for every route** (``TENANTRY_MAX_BODY_BYTES``), enforced before any
  parser runs: a declared ``Content-Length`` over the limit is answered 413 at once, and a
  streamed (chunked) body is counted as it arrives, the 413 raised the moment it passes
  the limit. Nothing upstream buffers more than the limit. Only the signed storage upload
  (``POST /files``) is exempt: it streams to storage under its own policy's size limit.
* **Lingering close, bounded**: a client that is still sending when the 413 is ready
  (Python's urllib, most simple clients) would see a reset instead of the answer; so up to
  :data:`DRAIN_BYTES` (for at most :data:`DRAIN_SECONDS`) are read and discarded first, as
  nginx's ``lingering_close`` does. Clients that sent ``Expect: 100-continue`` are answered
  without draining (they have not sent the body).
* **No ``U+0000`` in the path or the query string**: PostgreSQL cannot store or compare it;
  a 400 in the face's own error format instead of a database error.

Errors are rendered by the platform's per-prefix renderers, so each face answers in its own
format.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tenantry.core.bodies import find_nul_in_pairs
from tenantry.core.errors import BadRequest, PayloadTooLarge, TenantryError

__all__ = ["DRAIN_BYTES", "DRAIN_SECONDS", "BoundaryMiddleware"]

DRAIN_BYTES = 64 * 1024 * 1024
DRAIN_SECONDS = 10.0
TOO_LARGE = "The request body is too large."


class BoundaryMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        limit: int,
        render_error: Callable[[Request, TenantryError], object],
        exempt: Callable[[Scope], bool] = lambda scope: False,
    ) -> None:
        self.app = app
        self.limit = limit
        self.render_error = render_error
        self.exempt = exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = _url_refusal(scope)
        if refusal is not None:
            await self._answer(scope, receive, send, refusal)
            return
        if self.exempt(scope):
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        if declared is not None and declared > self.limit:
            if not _expects_continue(scope):
                await drain(receive)
            await self._answer(scope, receive, send, PayloadTooLarge(TOO_LARGE))
            return
        await self.app(scope, _counted(receive, self.limit, drain_on_excess=True), send)

    async def _answer(self, scope: Scope, receive: Receive, send: Send, error: Exception) -> None:
        assert isinstance(error, TenantryError)
        response = self.render_error(Request(scope), error)
        await response(scope, receive, send)  # type: ignore[operator]


def _counted(receive: Receive, limit: int, *, drain_on_excess: bool) -> Receive:
    """``receive`` that raises 413 once more than ``limit`` body bytes have arrived."""
    size = 0

    async def counted() -> Message:
        nonlocal size
        message = await receive()
        if message["type"] == "http.request":
            size += len(message.get("body", b""))
            if size > limit:
                if drain_on_excess and message.get("more_body", False):
                    await drain(receive)
                raise PayloadTooLarge(TOO_LARGE)
        return message

    return counted


async def drain(receive: Receive) -> int:
    """Read and discard the rest of the body, up to :data:`DRAIN_BYTES` and
    :data:`DRAIN_SECONDS`; returns the bytes discarded."""
    discarded = 0
    try:
        async with asyncio.timeout(DRAIN_SECONDS):
            while discarded < DRAIN_BYTES:
                message = await receive()
                if message["type"] != "http.request":
                    break
                discarded += len(message.get("body", b""))
                if not message.get("more_body", False):
                    break
    except TimeoutError:
        pass
    return discarded


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            text = bytes(value).strip()
            return int(text) if text.isdigit() else None
    return None


def _expects_continue(scope: Scope) -> bool:
    return any(
        name == b"expect" and bytes(value).strip().lower() == b"100-continue"
        for name, value in scope.get("headers", [])
    )


def _url_refusal(scope: Scope) -> TenantryError | None:
    raw_path = scope.get("raw_path") or scope.get("path", "").encode()
    if "\x00" in scope.get("path", "") or b"%00" in bytes(raw_path):
        return BadRequest("The URL must not contain a NUL character.")
    query = bytes(scope.get("query_string", b"")).decode("latin-1")
    if "%00" in query or "\x00" in query:
        name = find_nul_in_pairs(parse_qsl(query, keep_blank_values=True))
        which = f"parameter '{name[:40]}'" if name else "string"
        return BadRequest(f"The query {which} must not contain a NUL character.")
    return None
