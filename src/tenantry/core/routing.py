"""Route dispatch indexed by the path's leading segments.

Starlette and FastAPI find a request's route by trying every route in order, and FastAPI
tries every route of every included router again inside it: with both faces installed that
is hundreds of regular expressions and milliseconds per request before any work is done.
This index keeps the router's own matching (order, 405 for a known path, redirects, the 404)
but hands it only the routes that could match: those whose literal leading segments agree
with the request's. A route can only match a path that starts with its literal prefix, so
leaving the others out changes no answer.
"""

from __future__ import annotations

import copy
from typing import Any

from fastapi.routing import APIRouter, iter_route_contexts
from starlette._utils import get_route_path
from starlette.routing import BaseRoute
from starlette.types import Receive, Scope, Send

DEPTH = 3
"""How many leading segments the index looks at (``/api/v5/post`` names one resource)."""

Prefix = tuple[str, ...]

_UNKNOWN = "\x00"
"""Stands for a request segment no route names at that depth (keeps the memo bounded)."""


def literal_prefix(path: str) -> Prefix | None:
    """The route path's leading literal segments (at most :data:`DEPTH`); ``None`` when the
    route could match any path (no leading slash)."""
    if not path.startswith("/"):
        return None
    literal: list[str] = []
    for segment in path[1:].split("/")[:DEPTH]:
        if "{" in segment:
            break
        literal.append(segment)
    return tuple(literal)


def _prefixes(route: BaseRoute) -> set[Prefix] | None:
    """Every literal prefix a top-level route may match under; ``None`` for "any path"."""
    found: set[Prefix] = set()
    for context in iter_route_contexts([route]):
        prefix = literal_prefix(context.path or "")
        if prefix is None:
            return None
        found.add(prefix)
    return found


def _comparable(a: Prefix, b: Prefix) -> bool:
    """One is a prefix of the other (a path and its slash-redirect twin agree on this)."""
    shorter = min(len(a), len(b))
    return a[:shorter] == b[:shorter]


class SegmentIndex:
    """The ASGI entry of ``router``: its own matching, over the routes that could match."""

    def __init__(self, router: APIRouter) -> None:
        self.router = router
        self.everything = router.app
        self._build()

    def _build(self) -> None:
        routes = list(self.router.routes)
        self._count = len(routes)
        self._routes = [(route, _prefixes(route)) for route in routes]
        self._known: list[set[str]] = [set() for _ in range(DEPTH)]
        for _, prefixes in self._routes:
            for prefix in prefixes or ():
                for depth, segment in enumerate(prefix):
                    self._known[depth].add(segment)
        self._narrowed: dict[Prefix, Any] = {}

    def key_of(self, path: str) -> Prefix:
        """The request's leading segments, unknown ones folded into one placeholder."""
        segments = path[1:].split("/", DEPTH)[:DEPTH] if path.startswith("/") else [path]
        return tuple(
            segment if segment in self._known[depth] else _UNKNOWN
            for depth, segment in enumerate(segments)
        )

    def narrowed(self, key: Prefix) -> Any:
        """A copy of the router holding only the routes comparable with ``key``."""
        found = self._narrowed.get(key)
        if found is None:
            subset = [
                route
                for route, prefixes in self._routes
                if prefixes is None or any(_comparable(p, key) for p in prefixes)
            ]
            found = copy.copy(self.router)
            found.routes = subset
            self._narrowed[key] = found
        return found

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.everything(scope, receive, send)
            return
        # ``url_for`` and the exception handlers look for the whole router in the scope.
        scope.setdefault("router", self.router)
        if len(self.router.routes) != self._count:
            self._build()  # a route was added after start-up (tests do)
        narrowed = self.narrowed(self.key_of(get_route_path(scope)))
        await narrowed.app(scope, receive, send)


def index_routes(router: APIRouter) -> None:
    """Dispatch ``router``'s requests through a :class:`SegmentIndex` of its routes (the
    spec and ``url_for`` still see the router's own list)."""
    router.middleware_stack = SegmentIndex(router)
