"""``/api/v5/schema/`` (reference §3.12): typed content definitions, versioned."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from tenantry.percolate.api.auth import CallerDep
from tenantry.percolate.api.context import forbidden, open_context
from tenantry.percolate.api.routes import SECURITY, Create, Update, json_response, resource_router
from tenantry.percolate.api.runtime import RuntimeDep
from tenantry.percolate.api.schemas import error_responses, single_ref
from tenantry.percolate.schema.bodies import SchemaCreate, SchemaUpdate
from tenantry.percolate.schema.declaration import (
    RESOURCE,
    encode_version,
    parse_schema_ref,
    version_object,
)
from tenantry.percolate.schema.service import create_schema, load_version, update_schema


def _version_route(router: APIRouter) -> None:
    """``GET /schema/{schema_id}`` answering ``schema:<id>_<version>`` with that version."""

    async def get_schema(request: Request, runtime: RuntimeDep, caller: CallerDep) -> Response:
        wire = request.path_params["schema_id"]
        ref = parse_schema_ref(wire, "schema_id")
        async with open_context(runtime, caller) as ctx:
            schema, version = await load_version(ctx, ref, "schema_id", wire)
            rows = await RESOURCE.rows_by_id(ctx, [schema.id])
            if not rows:
                raise forbidden("schema_id", wire, "schema")
            shown = (await RESOURCE.present_rows(ctx, rows))[0]
        shown.update(
            name=version.name,
            version=version_object(schema.id, version.version, schema.version),
            fields=version.definition.get("fields", []),
            fieldsets=version.definition.get("fieldsets", []),
            plugins=version.definition.get("plugins", []),
        )
        if ref.version is not None:
            shown["id"] = encode_version(schema.id, version.version)
        return json_response({"data": shown, "include": {}})

    parameters = [
        {
            "name": "schema_id",
            "in": "path",
            "required": True,
            "schema": {"type": "string", "pattern": r"^schema:[a-zA-Z0-9_-]+$"},
        },
        {
            "name": "context_id",
            "in": "query",
            "required": False,
            "description": "Object ID being passed in as the context.",
            "schema": {"type": "string", "pattern": r"^\w+:\w+$"},
        },
    ]
    for path, shown in (("/schema/{schema_id}", True), ("/schema/{schema_id}/", False)):
        router.add_api_route(
            path,
            get_schema,
            methods=["GET"],
            operation_id="getSchema" if shown else None,
            summary="Get a single schema (schema:<id>_<version> for one version)",
            include_in_schema=shown,
            responses={200: single_ref("Schema"), **error_responses()},
            openapi_extra={"parameters": parameters, "security": SECURITY},
        )


def _build_router() -> APIRouter:
    """The engine's endpoints, with its single read replaced by the version-aware one."""
    built = resource_router(
        RESOURCE,
        create=Create(SchemaCreate, create_schema, "Create a schema (`schema:manage`)."),
        update=Update(
            SchemaUpdate,
            update_schema,
            "Change a schema; a changed definition becomes a new version (`schema:<id>_<n>`).",
        ),
        list_description="Schemas of the account and its scopes; each at its current version.",
    )
    built.routes[:] = [
        route
        for route in built.routes
        if not (isinstance(route, APIRoute) and route.name == "get_endpoint")
    ]
    _version_route(built)
    return built


router = _build_router()
