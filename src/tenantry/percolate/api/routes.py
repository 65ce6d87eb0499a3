"""Routes from declarations: each resource gets its list, read and write endpoints, thin.

An endpoint parses (typed id, query, JSON body), opens the request context, calls the
resource's rule function and shapes the envelope. Collections answer with and without the
trailing slash (the seed writes ``/user/``, clients send both); so do items.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson
from fastapi import APIRouter
from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import Response

from tenantry.core.bodies import JsonRefused, find_nul, parse_json
from tenantry.core.bodies import read_body as bounded_read
from tenantry.core.direct_routes import DirectRoute
from tenantry.core.errors import FieldError, ValidationFailed
from tenantry.percolate.api.auth import CallerDep, confirm_credential
from tenantry.percolate.api.context import V5Context, open_context
from tenantry.percolate.api.ids import invalid
from tenantry.percolate.api.params import parse_params
from tenantry.percolate.api.resource import Resource, fetch_one, list_resource
from tenantry.percolate.api.runtime import RuntimeDep
from tenantry.percolate.api.schemas import (
    body_schema,
    error_responses,
    list_ref,
    single_ref,
)

__all__ = [
    "API_PREFIX",
    "Create",
    "Delete",
    "Update",
    "json_response",
    "query_of",
    "read_body",
    "resource_router",
]

API_PREFIX = "/api/v5"
MAX_JSON_BYTES = 4 * 1024 * 1024
TRUSTED_BODY_BYTES = 64 * 1024
"""Bodies up to this size are read before the credential is checked (in the same unit)."""
M = TypeVar("M", bound=BaseModel)
SECURITY: list[dict[str, list[str]]] = [{"percolate_oauth": []}]


def json_response(body: Any, status_code: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status_code, media_type="application/json")


def query_of(request: Request) -> dict[str, list[str]]:
    """Every query parameter with all its values (repeats join as one CSV later)."""
    query: dict[str, list[str]] = {}
    for name, value in request.query_params.multi_items():
        query.setdefault(name, []).append(value)
    return query


def _scalar(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool) else None


async def read_body(request: Request, model: type[M]) -> M:
    """The JSON object body validated by ``model``; 400 naming the first bad field.

    A body that is not small is read only once its credential is known to be good, so an
    anonymous client cannot make the server buffer and parse megabytes (413 past
    :data:`MAX_JSON_BYTES`)."""
    declared = request.headers.get("content-length")
    if declared is None or not declared.isdigit() or int(declared) > TRUSTED_BODY_BYTES:
        await confirm_credential(request)
    raw = await bounded_read(request, MAX_JSON_BYTES)
    try:
        data = parse_json(raw) if raw.strip() else {}
    except JsonRefused as refused:
        raise invalid(None, f"The body is not valid JSON: {refused}") from None
    if not isinstance(data, dict):
        raise invalid(None, "The body must be a JSON object.")
    nul = find_nul(data)
    if nul is not None:
        raise invalid(nul or None, "Text must not contain a NUL character.")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [
            FieldError(
                ".".join(str(part) for part in error["loc"]) or None,
                error["msg"],
                _scalar(error.get("input")),
            )
            for error in exc.errors()
        ]
        raise ValidationFailed("The given data was invalid.", problems) from None


@dataclass(frozen=True)
class Create:
    body: type[BaseModel]
    run: Callable[[V5Context, Any], Awaitable[int]]
    """Validates, checks capabilities, writes; returns the new object's key."""
    description: str = ""


@dataclass(frozen=True)
class Update:
    body: type[BaseModel]
    run: Callable[[V5Context, int, Any], Awaitable[None]]
    description: str = ""


@dataclass(frozen=True)
class Delete:
    run: Callable[[V5Context, int], Awaitable[None]]
    description: str = ""


def _include_of(resource: Resource, request: Request) -> list[str]:
    param = resource.include_param()
    if param is None:
        return []
    included: list[str] = parse_params([param], query_of(request)).get("include", [])
    return included


def resource_router(
    resource: Resource,
    *,
    listable: bool = True,
    create: Create | None = None,
    update: Update | None = None,
    delete: Delete | None = None,
    list_description: str = "",
    extra_item_routes: Callable[[APIRouter], None] | None = None,
    before_get: Callable[[V5Context, int], Awaitable[object]] | None = None,
) -> APIRouter:
    """The standard endpoints of ``resource`` under ``/api/v5/<type>/``; ``before_get`` makes
    the single read a writing one that may first bring the object up to date (a poll)."""
    router = APIRouter(prefix=API_PREFIX, tags=[resource.name], route_class=DirectRoute)
    title = resource.title
    collection = f"/{resource.name}/"
    param = f"{resource.name}_id"
    item = f"/{resource.name}/{{{param}}}"
    path_parameter = {
        "name": param,
        "in": "path",
        "required": True,
        "schema": {"type": "string", "pattern": resource.kind.path_pattern},
    }
    components = resource.openapi_components()
    include = resource.include_param()
    include_parameters = [include.openapi()] if include is not None else []

    def key_of(request: Request) -> tuple[int, str]:
        value = request.path_params[param]
        return resource.kind.parse(value, param), value

    if listable:

        async def list_endpoint(
            request: Request, runtime: RuntimeDep, caller: CallerDep
        ) -> Response:
            async with open_context(runtime, caller, read_only=True) as ctx:
                body = await list_resource(resource, ctx, query_of(request))
            return json_response(body)

        parameters = [p.openapi() for p in resource.list_params()]
        if len(resource.required_any) == 1:
            # One required parameter (role's scope_ids) is required in the spec too.
            for parameter in parameters:
                if parameter["name"] == resource.required_any[0]:
                    parameter["required"] = True
        extra = {
            "parameters": parameters,
            "security": SECURITY,
        }
        for path, shown in ((collection, True), (collection.rstrip("/"), False)):
            router.add_api_route(
                path,
                list_endpoint,
                methods=["GET"],
                operation_id=f"list{title}s" if shown else None,
                summary=f"Get a list of {resource.name}s",
                description=list_description,
                include_in_schema=shown,
                responses={200: list_ref(title, components), **error_responses()},
                openapi_extra=extra,
            )

    if create is not None:
        run_create = create

        async def create_endpoint(
            request: Request, runtime: RuntimeDep, caller: CallerDep
        ) -> Response:
            included = _include_of(resource, request)
            body = await read_body(request, run_create.body)
            async with open_context(runtime, caller) as ctx:
                key = await run_create.run(ctx, body)
                shown = await fetch_one(
                    resource,
                    ctx,
                    key,
                    wire_key=None,
                    wire_value=resource.kind.encode(key) or "",
                    include=included,
                )
            return json_response(shown, 201)

        for path, shown in ((collection, True), (collection.rstrip("/"), False)):
            router.add_api_route(
                path,
                create_endpoint,
                methods=["POST"],
                status_code=201,
                operation_id=f"create{title}" if shown else None,
                summary=f"Create a {resource.name}",
                description=create.description,
                include_in_schema=shown,
                responses={201: single_ref(title, components), **error_responses(conflict=True)},
                openapi_extra={
                    "parameters": include_parameters,
                    "requestBody": body_schema(create.body),
                    "security": SECURITY,
                },
            )

    if extra_item_routes is not None:
        extra_item_routes(router)

    async def get_endpoint(request: Request, runtime: RuntimeDep, caller: CallerDep) -> Response:
        key, wire = key_of(request)
        included = _include_of(resource, request)
        async with open_context(runtime, caller, read_only=before_get is None) as ctx:
            if before_get is not None:
                await before_get(ctx, key)
            shown = await fetch_one(
                resource, ctx, key, wire_key=param, wire_value=wire, include=included
            )
        return json_response(shown)

    for path, shown in ((item, True), (item + "/", False)):
        router.add_api_route(
            path,
            get_endpoint,
            methods=["GET"],
            operation_id=f"get{title}" if shown else None,
            summary=f"Get a single {resource.name}",
            include_in_schema=shown,
            responses={200: single_ref(title, components), **error_responses()},
            openapi_extra={
                "parameters": [path_parameter, *include_parameters],
                "security": SECURITY,
            },
        )

    if update is not None:
        run_update = update

        async def update_endpoint(
            request: Request, runtime: RuntimeDep, caller: CallerDep
        ) -> Response:
            key, wire = key_of(request)
            included = _include_of(resource, request)
            body = await read_body(request, run_update.body)
            async with open_context(runtime, caller) as ctx:
                await run_update.run(ctx, key, body)
                shown = await fetch_one(
                    resource, ctx, key, wire_key=param, wire_value=wire, include=included
                )
            return json_response(shown)

        for path, shown in ((item, True), (item + "/", False)):
            router.add_api_route(
                path,
                update_endpoint,
                methods=["PUT"],
                operation_id=f"update{title}" if shown else None,
                summary=f"Update a {resource.name}",
                description=update.description,
                include_in_schema=shown,
                responses={200: single_ref(title, components), **error_responses(conflict=True)},
                openapi_extra={
                    "parameters": [path_parameter, *include_parameters],
                    "requestBody": body_schema(update.body),
                    "security": SECURITY,
                },
            )

    if delete is not None:
        run_delete = delete

        async def delete_endpoint(
            request: Request, runtime: RuntimeDep, caller: CallerDep
        ) -> Response:
            key, _wire = key_of(request)
            async with open_context(runtime, caller) as ctx:
                await run_delete.run(ctx, key)
            return Response(status_code=204)

        for path, shown in ((item, True), (item + "/", False)):
            router.add_api_route(
                path,
                delete_endpoint,
                methods=["DELETE"],
                status_code=204,
                operation_id=f"delete{title}" if shown else None,
                summary=f"Delete a {resource.name}",
                description=delete.description,
                include_in_schema=shown,
                responses={
                    204: {"description": "Deleted (empty body)."},
                    **error_responses(conflict=True),
                },
                openapi_extra={"parameters": [path_parameter], "security": SECURITY},
            )

    return router
