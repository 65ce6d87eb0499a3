"""The ASGI middleware that logs each ``/v1``, ``/v2`` and ``/oauth`` exchange of a known caller.

It sees the request as the client sent it and the response as the client gets it. Who
called is known only once the credential is checked: the gate leaves the principal in the
request state (:data:`PRINCIPAL_STATE_KEY`, activity ``api``), the OAuth endpoints the
client's tenant (:func:`note_oauth_client`, activity ``oauth``). A request that never got
that far (a bad key, an unknown client) is not logged: it could be attributed to any tenant.
"""

from __future__ import annotations

import re
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tenantry.core.auth import Principal
from tenantry.perscom.activity.masking import mask_body, mask_headers, mask_query
from tenantry.perscom.activity.writer import ActivityWriter

__all__ = ["CAPTURE_BYTES", "PRINCIPAL_STATE_KEY", "ApiLogMiddleware", "note_oauth_client"]

PRINCIPAL_STATE_KEY = "perscom_principal"
OAUTH_CLIENT_STATE_KEY = "perscom_oauth_client"
CAPTURE_BYTES = 16 * 1024
"""Bodies up to this size are kept (masked, then capped); longer ones only by size."""
_LOGGED = re.compile(r"^/(?:v[12]|oauth)(?:/|$)")
_NOT_LOGGED = re.compile(r"^/v[12]/spec\.(json|yaml)$")


def note_oauth_client(scope: Scope, tenant_id: int, client_id: str) -> None:
    """Mark an OAuth exchange as the client's, in its tenant, so the log records it."""
    scope.setdefault("state", {})[OAUTH_CLIENT_STATE_KEY] = (tenant_id, client_id)


class _Capture:
    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.size = 0

    def add(self, chunk: bytes) -> None:
        if self.size < CAPTURE_BYTES:
            self.chunks.append(chunk[: CAPTURE_BYTES - self.size])
        self.size += len(chunk)

    @property
    def complete(self) -> bool:
        return self.size <= CAPTURE_BYTES

    def body(self) -> bytes:
        return b"".join(self.chunks)


class ApiLogMiddleware:
    def __init__(self, app: ASGIApp, writer: ActivityWriter) -> None:
        self.app = app
        self.writer = writer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not _LOGGED.match(path) or _NOT_LOGGED.match(path):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        asked, answered = _Capture(), _Capture()
        response: dict[str, Any] = {"status": 500, "headers": []}

        async def receiving() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                asked.add(message.get("body", b""))
            return message

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                response["status"] = message["status"]
                response["headers"] = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                answered.add(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receiving, sending)
        finally:
            state = scope.get("state", {})
            principal = state.get(PRINCIPAL_STATE_KEY)
            oauth_client = state.get(OAUTH_CLIENT_STATE_KEY)
            if isinstance(principal, Principal):
                credential = principal.credential
                caller = (
                    principal.tenant_id,
                    "api",
                    credential.kind if credential else None,
                    str(credential.id) if credential and credential.id is not None else None,
                )
                self._record(scope, caller, started, asked, answered, response)
            elif isinstance(oauth_client, tuple):
                tenant_id, client_id = oauth_client
                caller = (tenant_id, "oauth", "oauth_client", client_id)
                self._record(scope, caller, started, asked, answered, response)

    def _record(
        self,
        scope: Scope,
        caller: tuple[int, str, str | None, str | None],
        started: float,
        asked: _Capture,
        answered: _Capture,
        response: dict[str, Any],
    ) -> None:
        request_headers = mask_headers(scope.get("headers", []))
        response_headers = mask_headers(response["headers"])
        tenant_id, log_name, credential_kind, credential_id = caller
        request_id = scope.get("state", {}).get("request_id")
        self.writer.add(
            tenant_id,
            {
                "log_name": log_name,
                "method": scope["method"],
                "path": scope["path"][:2048],
                "query": mask_query(scope.get("query_string", b"").decode("latin-1")),
                "status": int(response["status"]),
                "duration_ms": round((time.perf_counter() - started) * 1000),
                "credential_kind": credential_kind,
                "credential_id": credential_id,
                "request_headers": request_headers,
                "request_body": mask_body(
                    asked.body(),
                    request_headers.get("content-type", ""),
                    complete=asked.complete,
                    size=asked.size,
                ),
                "response_headers": response_headers,
                "response_body": mask_body(
                    answered.body(),
                    response_headers.get("content-type", ""),
                    complete=answered.complete,
                    size=answered.size,
                ),
                "request_id": request_id if isinstance(request_id, str) else None,
            },
        )
