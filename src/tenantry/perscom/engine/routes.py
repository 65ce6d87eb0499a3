"""The router factory: every declared resource becomes Orion's route set (§3.1).

Routes are derived from the registry as :class:`Operation` values; the same list feeds the
Starlette routers and the OpenAPI document, so the spec cannot drift from what is served.
Dispatch is a dictionary look-up on the first path segment followed by the resource's own
few routes, so adding resources does not slow every request down.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from starlette._utils import get_route_path
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route, Router
from starlette.types import Receive, Scope, Send

from tenantry.perscom.engine.actions import Actions
from tenantry.perscom.engine.declaration import BelongsTo, BelongsToMany, HasMany, MorphOne
from tenantry.perscom.engine.runtime import BoundRelation, Compiled, Registry

Action = Literal[
    "index",
    "search",
    "store",
    "show",
    "update",
    "destroy",
    "batch_store",
    "batch_update",
    "batch_destroy",
    "attach",
    "detach",
    "sync",
    "toggle",
    "update_pivot",
]


@dataclass(frozen=True)
class Operation:
    """One served operation: what the spec documents and what the router dispatches."""

    method: str
    path: str
    """Relative to the version prefix, with Starlette converters (``/ranks/{id:int}``)."""
    action: Action
    resource: Compiled
    relation: BoundRelation | None
    operation_id: str

    @property
    def target(self) -> Compiled:
        return self.relation.required_target() if self.relation else self.resource

    @property
    def spec_path(self) -> str:
        return re.sub(r"\{(\w+):\w+\}", r"{\1}", self.path)


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[_\-\s]+", name))


def operations(registry: Registry) -> list[Operation]:
    """Every operation of every resource, in a stable order."""
    found: list[Operation] = []
    for resource in registry:
        if not resource.decl.routed:
            continue
        only, nested_only = resource.decl.only, resource.decl.nested_only
        found.extend(o for o in _resource_operations(resource) if only is None or o.action in only)
        for name in resource.decl.nested:
            found.extend(
                o
                for o in _relation_operations(resource, resource.relations[name])
                if nested_only is None or o.action in nested_only
            )
    return found


Spec = list[tuple[str, str, str, str]]
"""``(method, path, action, operation id)`` rows."""


def _crud(
    base: str, item: str, many: str, one: str, links: Spec | None = None, pivot: Spec | None = None
) -> Spec:
    """Orion's set over a collection: list, search, batches, store and the item's routes;
    ``links`` (attach...) follow the search, ``pivot`` precedes the store."""
    return [
        ("GET", base, "index", f"list{many}"),
        ("POST", f"{base}/search", "search", f"search{many}"),
        *(links or []),
        ("POST", f"{base}/batch", "batch_store", f"batchCreate{many}"),
        ("PATCH", f"{base}/batch", "batch_update", f"batchUpdate{many}"),
        ("DELETE", f"{base}/batch", "batch_destroy", f"batchDelete{many}"),
        *(pivot or []),
        ("POST", base, "store", f"create{one}"),
        ("GET", item, "show", f"get{one}"),
        ("PUT", item, "update", f"update{one}"),
        ("PATCH", item, "update", f"patch{one}"),
        ("DELETE", item, "destroy", f"delete{one}"),
    ]


def _resource_operations(resource: Compiled) -> list[Operation]:
    base = f"/{resource.name}"
    one = _camel(resource.decl.label)
    spec = _crud(base, f"{base}/{{id:int}}", _camel(resource.name), one)
    return [Operation(m, p, a, resource, None, o) for m, p, a, o in spec]  # type: ignore[arg-type]


def _relation_operations(resource: Compiled, relation: BoundRelation) -> list[Operation]:
    parent = _camel(resource.decl.label)
    base = f"/{resource.name}/{{id:int}}/{relation.name.replace('_', '-')}"
    item = f"{base}/{{rid:int}}"
    target = relation.required_target()
    rel = _camel(relation.name)
    one = parent + _camel(target.decl.label)
    spec: Spec
    if isinstance(relation.spec, BelongsToMany):
        if relation.name != target.name:  # ``status_records`` of statuses: not ``getUserStatus``
            one = parent + _camel(relation.name).removesuffix("s")
        links: Spec = [
            ("POST", f"{base}/attach", "attach", f"attach{parent}{rel}"),
            ("DELETE", f"{base}/detach", "detach", f"detach{parent}{rel}"),
            ("PATCH", f"{base}/sync", "sync", f"sync{parent}{rel}"),
            ("PATCH", f"{base}/toggle", "toggle", f"toggle{parent}{rel}"),
        ]
        pivot: Spec = [("PATCH", f"{item}/pivot", "update_pivot", f"update{one}Pivot")]
        spec = _crud(base, item, parent + rel, one, links, pivot)
    elif isinstance(relation.spec, HasMany):
        spec = _crud(base, item, parent + rel, one)  # a parent's own rows: no pivot
    elif isinstance(relation.spec, BelongsTo | MorphOne):
        one = parent + rel
        spec = []
        if isinstance(relation.spec, MorphOne):
            spec.append(("POST", base, "store", f"create{one}"))
        for path, suffix in ((base, ""), (item, "ById")):
            spec += [
                ("GET", path, "show", f"get{one}{suffix}"),
                ("PUT", path, "update", f"update{one}{suffix}"),
                ("PATCH", path, "update", f"patch{one}{suffix}"),
                ("DELETE", path, "destroy", f"delete{one}{suffix}"),
            ]
    else:
        raise TypeError(f"{resource.name}.{relation.name} cannot have endpoints")
    return [Operation(m, p, a, resource, relation, o) for m, p, a, o in spec]  # type: ignore[arg-type]


Endpoint = Callable[[Request], Awaitable[Response]]


def endpoint_for(actions: Actions, operation: Operation) -> Endpoint:
    handler = getattr(actions, operation.action)
    resource = operation.resource
    relation = operation.relation.name if operation.relation else None

    async def endpoint(request: Request) -> Response:
        response: Response = await handler(request, resource, relation)
        return response

    endpoint.__name__ = operation.operation_id
    return endpoint


class VersionRoot:
    """The ASGI app under ``/v1`` and ``/v2``: one router per first path segment."""

    def __init__(self, routers: dict[str, Router]) -> None:
        self.routers = routers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = get_route_path(scope)
        segment = path[1:].split("/", 1)[0]
        router = self.routers.get(segment)
        if router is None:
            raise HTTPException(status_code=404)
        await router(scope, receive, send)


def build_root(
    actions: Actions, found: list[Operation], extra: dict[str, list[BaseRoute]]
) -> VersionRoot:
    """Group the operations' routes by first segment (``extra`` adds routes such as ``me``)."""
    grouped: dict[str, dict[str, list[str]]] = {}
    endpoints: dict[tuple[str, str], Endpoint] = {}
    order: dict[str, list[str]] = {}
    for operation in found:
        segment = operation.path[1:].split("/", 1)[0]
        paths = grouped.setdefault(segment, {})
        order.setdefault(segment, [])
        if operation.path not in paths:
            paths[operation.path] = []
            order[segment].append(operation.path)
        paths[operation.path].append(operation.method)
        endpoints[(operation.path, operation.method)] = endpoint_for(actions, operation)
    routers: dict[str, Router] = {}
    for segment, paths in grouped.items():
        routes: list[BaseRoute] = []
        for path in order[segment]:
            for method in paths[path]:
                routes.append(
                    Route(
                        path, endpoints[(path, method)], methods=[method], include_in_schema=False
                    )
                )
        routers[segment] = Router(routes=routes, redirect_slashes=False)
    for segment, routes in extra.items():
        served = list(routers[segment].routes) if segment in routers else []
        routers[segment] = Router(routes=[*routes, *served], redirect_slashes=False)
    return VersionRoot(routers)
