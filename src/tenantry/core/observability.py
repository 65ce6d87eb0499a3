"""Request context and metrics, as one pure ASGI middleware (no per-request Starlette wrappers).

Every response carries ``X-Request-Id`` (the client's, when it sent a sane one); every log line
of the request carries it; requests are counted by route template and status, and timed.
Anything that escapes the app is logged and answered in the face's error format, never as a
bare traceback.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from typing import Any

import structlog
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tenantry.core.audit.actor import Origin, audit_origin
from tenantry.core.errors import InternalError, TenantryError

REQUEST_ID_HEADER = "x-request-id"
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")
log = structlog.get_logger("tenantry.http")


class Metrics:
    """The process's Prometheus collectors, in their own registry (one per app)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "tenantry_http_requests_total",
            "HTTP requests by route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "tenantry_http_request_duration_seconds",
            "HTTP request latency by route template.",
            ["method", "route"],
            registry=self.registry,
        )
        self.jobs = Gauge(
            "tenantry_jobs", "Background jobs by state.", ["state"], registry=self.registry
        )
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count and time one request. Each label set's children are looked up once:
        ``labels()`` validates and locks on every call."""
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:
            children = (
                self.requests.labels(method, route, str(status)),
                self.latency.labels(method, route),
            )
            self._children[key] = children
        counter, histogram = children
        counter.inc()
        histogram.observe(seconds)


def route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return str(scope.get("root_path", "")) + path
    return "unmatched"


class RequestContextMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        metrics: Metrics,
        render_error: Callable[[Request, TenantryError], object],
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.render_error = render_error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        client = scope.get("client")
        origin = audit_origin.set(
            Origin(
                request_id, client[0] if client else None, scope.get("method"), scope.get("path")
            )
        )
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            log.exception("unhandled error", path=scope.get("path"))
            if response_started:
                raise
            response = self.render_error(
                Request(scope), InternalError("An internal error occurred.")
            )
            await response(scope, receive, send_with_id)  # type: ignore[operator]
        finally:
            elapsed = time.perf_counter() - started
            self.metrics.observe(scope.get("method", ""), route_template(scope), status, elapsed)
            structlog.contextvars.clear_contextvars()
            audit_origin.reset(origin)


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            candidate = bytes(value).decode("latin-1")
            if _SANE_REQUEST_ID.match(candidate):
                return candidate
            break
    return os.urandom(16).hex()  # a random id of uuid4().hex's shape, without its costs


def bind_tenant(tenant_id: int) -> None:
    """Put the resolved tenant on every log line for the rest of this request."""
    structlog.contextvars.bind_contextvars(tenant_id=tenant_id)
