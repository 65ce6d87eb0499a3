"""FastAPI routes whose endpoints are called without per-request dependency solving.

FastAPI resolves an endpoint's parameters on every request (``solve_dependencies``): it
walks the dependency tree, validates query, header, cookie and body fields, and keeps exit
stacks for dependencies that yield. An endpoint that takes only the request and values
computed from the request alone needs none of that, yet pays for it on every call (about a
tenth of a one-row Percolate read).

:class:`DirectRoute` is an ``APIRoute`` (the same matching, the same dependant, so the same
OpenAPI operation) whose handler, for such an endpoint, awaits each dependency with the
request and then the endpoint. Any other endpoint keeps FastAPI's own handler, so using it as
a router's ``route_class`` changes nothing for routes it cannot serve directly.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

__all__ = ["DirectRoute", "direct_handler"]

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class DirectRoute(APIRoute):
    """An ``APIRoute`` that calls a request-only endpoint directly (see the module)."""

    def get_route_handler(self) -> Handler:
        return direct_handler(self.dependant) or super().get_route_handler()


def direct_handler(dependant: Dependant) -> Handler | None:
    """The direct handler of ``dependant``'s endpoint, or ``None`` when FastAPI must solve it.

    Eligible: an ``async`` endpoint annotated to return a ``Response``, whose parameters are
    the request and dependencies that are themselves ``async`` functions of the request
    alone (no fields, no sub-dependencies, no ``yield``, no security scopes), each named once.
    """
    endpoint = dependant.call
    if endpoint is None or not _takes_only_the_request(dependant, top=True):
        return None
    if not _returns_a_response(endpoint):
        return None
    calls = [dependency.call for dependency in dependant.dependencies]
    if len(set(calls)) != len(calls):
        return None  # FastAPI would run a shared dependency once per request
    requirements: list[tuple[str, Callable[[Request], Awaitable[Any]]]] = []
    for dependency in dependant.dependencies:
        call = dependency.call
        if call is None or dependency.name is None:
            return None
        if not _takes_only_the_request(dependency, top=False):
            return None
        requirements.append((dependency.name, _called_with_request(call, dependency)))
    request_name = dependant.request_param_name
    call_endpoint: Callable[..., Awaitable[Response]] = endpoint

    async def handler(request: Request) -> Response:
        arguments: dict[str, Any] = {}
        if request_name is not None:
            arguments[request_name] = request
        for name, requirement in requirements:
            arguments[name] = await requirement(request)
        return await call_endpoint(**arguments)

    return handler


def _takes_only_the_request(dependant: Dependant, *, top: bool) -> bool:
    """No fields, no special parameters but the request, no scopes; an ``async def`` (not a
    generator, not a security scheme object); below the top, no dependencies of its own."""
    fields = (
        dependant.path_params,
        dependant.query_params,
        dependant.header_params,
        dependant.cookie_params,
        dependant.body_params,
    )
    special = (
        dependant.websocket_param_name,
        dependant.http_connection_param_name,
        dependant.response_param_name,
        dependant.background_tasks_param_name,
        dependant.security_scopes_param_name,
    )
    if any(fields) or any(name is not None for name in special) or dependant.own_oauth_scopes:
        return False
    if not top and dependant.dependencies:
        return False
    return inspect.iscoroutinefunction(dependant.call)


def _returns_a_response(endpoint: Callable[..., Any]) -> bool:
    try:
        returned = typing.get_type_hints(endpoint).get("return")
    except (NameError, TypeError):
        return False
    return isinstance(returned, type) and issubclass(returned, Response)


def _called_with_request(
    call: Callable[..., Awaitable[Any]], dependency: Dependant
) -> Callable[[Request], Awaitable[Any]]:
    name = dependency.request_param_name
    if name is None:
        return lambda _request: call()
    return lambda request: call(**{name: request})
