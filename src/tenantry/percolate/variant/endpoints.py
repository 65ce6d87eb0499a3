"""``/api/v5/variant/`` (reference §3.2): an asset's renditions; ``download`` on a list with a
single result, and ``/variant/{id}/download``, answer with the file (303 on S3)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from tenantry.core.storage.download import Disposition, serve
from tenantry.percolate.api.auth import CallerDep
from tenantry.percolate.api.context import V5Context, forbidden, open_context
from tenantry.percolate.api.resource import list_resource
from tenantry.percolate.api.routes import SECURITY, json_response, query_of, resource_router
from tenantry.percolate.api.runtime import RuntimeDep
from tenantry.percolate.api.schemas import error_responses, list_ref
from tenantry.percolate.asset.endpoints import (
    DOWNLOAD_RESPONSES,
    disposition_of,
    download_parameters,
)
from tenantry.percolate.asset.models import Asset, Variant
from tenantry.percolate.variant.declaration import KIND, RESOURCE


async def _file(ctx: V5Context, key: int, wire: str) -> tuple[Variant, Asset]:
    variant = await ctx.get(Variant, (ctx.tenant_id, key))
    asset = None if variant is None else await ctx.get(Asset, (ctx.tenant_id, variant.asset_id))
    if variant is None or asset is None or not await ctx.can("media:read", asset.scope_id):
        raise forbidden("variant_id", wire, "variant")
    await ctx.require("media:download", asset.scope_id, "variant_id", wire)
    return variant, asset


async def _serve(
    runtime: RuntimeDep, request: Request, variant: Variant, asset: Asset, how: Disposition
) -> Response:
    stem = asset.filename.rsplit(".", 1)[0]
    extension = "png" if variant.content_type == "image/png" else "jpg"
    return await serve(
        runtime.platform.storage,
        variant.storage_key,
        filename=f"{stem}-{variant.name}.{extension}",
        content_type=variant.content_type,
        disposition=how,
        range_header=request.headers.get("range"),
    )


async def list_endpoint(request: Request, runtime: RuntimeDep, caller: CallerDep) -> Response:
    query = query_of(request)
    async with open_context(runtime, caller, read_only=True) as ctx:
        body = await list_resource(RESOURCE, ctx, query)
        how = body["meta"]["query"].get("download")
        found = None
        if how in ("inline", "attachment") and len(body["data"]) == 1:
            found = await _file(ctx, KIND.parse(body["data"][0]["id"], "id"), body["data"][0]["id"])
    if found is not None:
        return await _serve(runtime, request, *found, disposition_of(request, "download"))
    return json_response(body)


async def download_endpoint(request: Request, runtime: RuntimeDep, caller: CallerDep) -> Response:
    wire = request.path_params["variant_id"]
    key = KIND.parse(wire, "variant_id")
    how = disposition_of(request)
    async with open_context(runtime, caller, read_only=True) as ctx:
        variant, asset = await _file(ctx, key, wire)
    return await _serve(runtime, request, variant, asset, how)


def _routes(router: APIRouter) -> None:
    components = RESOURCE.openapi_components()
    for path, shown in (("/variant/", True), ("/variant", False)):
        router.add_api_route(
            path,
            list_endpoint,
            methods=["GET"],
            operation_id="listVariants" if shown else None,
            include_in_schema=shown,
            summary="Get a list of variants",
            description="The renditions of `asset_id`; with `download`, a single result's file.",
            responses={
                200: list_ref("Variant", components),
                303: DOWNLOAD_RESPONSES[303],
                **error_responses(),
            },
            openapi_extra={
                "parameters": [p.openapi() for p in RESOURCE.list_params()],
                "security": SECURITY,
            },
        )
    for path, shown in (
        ("/variant/{variant_id}/download", True),
        ("/variant/{variant_id}/download/", False),
    ):
        router.add_api_route(
            path,
            download_endpoint,
            methods=["GET"],
            operation_id="downloadVariant" if shown else None,
            include_in_schema=shown,
            summary="Download a variant's file",
            responses=DOWNLOAD_RESPONSES,
            openapi_extra={
                "parameters": download_parameters("variant_id", KIND.path_pattern),
                "security": SECURITY,
            },
        )


router = resource_router(RESOURCE, listable=False, extra_item_routes=_routes)
