"""``/api/v5/asset/`` (reference §3.1): the library's files, their copies, moves, trash and
downloads (the bytes, ranges honoured, or a 303 to a short-lived signed URL on S3)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from tenantry.core.storage.download import Disposition, serve
from tenantry.percolate.api.auth import CallerDep
from tenantry.percolate.api.context import V5Context, forbidden, open_context
from tenantry.percolate.api.ids import invalid
from tenantry.percolate.api.routes import (
    SECURITY,
    Create,
    Delete,
    Update,
    json_response,
    resource_router,
)
from tenantry.percolate.api.runtime import RuntimeDep
from tenantry.percolate.api.schemas import error_responses
from tenantry.percolate.asset.bodies import AssetCopy, AssetUpdate
from tenantry.percolate.asset.declaration import KIND, RESOURCE
from tenantry.percolate.asset.models import Asset
from tenantry.percolate.asset.service import (
    copy_asset,
    delete_asset,
    update_asset,
    visible_asset,
)
from tenantry.percolate.asset.versions import versions_of

DISPOSITIONS = ("attachment", "inline")


def disposition_of(request: Request, name: str = "disposition") -> Disposition:
    value = request.query_params.get(name, "attachment")
    if value == "inline":
        return "inline"
    if value != "attachment":
        raise invalid(name, "disposition accepts: attachment, inline.", value)
    return "attachment"


def download_parameters(param: str, pattern: str) -> list[dict[str, Any]]:
    return [
        {
            "name": param,
            "in": "path",
            "required": True,
            "schema": {"type": "string", "pattern": pattern},
        },
        {
            "name": "disposition",
            "in": "query",
            "required": False,
            "description": "`attachment` (default) or `inline`.",
            "schema": {"type": "string", "enum": list(DISPOSITIONS)},
        },
    ]


_BINARY = {"type": "string", "format": "binary"}
DOWNLOAD_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The file.", "content": {"*/*": {"schema": _BINARY}}},
    206: {"description": "The requested range.", "content": {"*/*": {"schema": _BINARY}}},
    303: {"description": "A short-lived signed URL of the file (S3 storage)."},
    416: {"description": "The range is not satisfiable."},
    **error_responses(),
}


async def downloadable(ctx: V5Context, key: int, wire: str) -> Asset:
    asset = await ctx.get(Asset, (ctx.tenant_id, key))
    if asset is None or not await ctx.can("media:read", asset.scope_id):
        raise forbidden("asset_id", wire, "asset")
    await ctx.require("media:download", asset.scope_id, "asset_id", wire)
    return asset


async def download_endpoint(request: Request, runtime: RuntimeDep, caller: CallerDep) -> Response:
    wire = request.path_params["asset_id"]
    key = KIND.parse(wire, "asset_id")
    disposition = disposition_of(request)
    async with open_context(runtime, caller, read_only=True) as ctx:
        asset = await downloadable(ctx, key, wire)
    return await serve(
        runtime.platform.storage,
        asset.storage_key,
        filename=asset.filename,
        content_type=asset.content_type,
        disposition=disposition,
        range_header=request.headers.get("range"),
    )


async def versions_endpoint(request: Request, runtime: RuntimeDep, caller: CallerDep) -> Response:
    wire = request.path_params["asset_id"]
    key = KIND.parse(wire, "asset_id")
    async with open_context(runtime, caller) as ctx:
        asset = await visible_asset(ctx, key)
        rows = await versions_of(ctx, asset)
    return json_response({"meta": {"total": len(rows), "query": {}}, "data": rows})


_VERSIONS_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The asset's versions, newest first (`current` marks the one shown).",
        "content": {"application/json": {"schema": {"type": "object"}}},
    },
    **error_responses(),
}


def _item_routes(router: APIRouter) -> None:
    _download_route(router)
    for path, shown in (
        ("/asset/{asset_id}/versions", True),
        ("/asset/{asset_id}/versions/", False),
    ):
        router.add_api_route(
            path,
            versions_endpoint,
            methods=["GET"],
            operation_id="listAssetVersions" if shown else None,
            include_in_schema=shown,
            summary="An asset's versions (roll back with PUT `version_id`)",
            responses=_VERSIONS_RESPONSES,
            openapi_extra={
                "parameters": download_parameters("asset_id", KIND.path_pattern)[:1],
                "security": SECURITY,
            },
        )


def _download_route(router: APIRouter) -> None:
    for path, shown in (
        ("/asset/{asset_id}/download", True),
        ("/asset/{asset_id}/download/", False),
    ):
        router.add_api_route(
            path,
            download_endpoint,
            methods=["GET"],
            operation_id="downloadAsset" if shown else None,
            include_in_schema=shown,
            summary="Download an asset's file",
            responses=DOWNLOAD_RESPONSES,
            openapi_extra={
                "parameters": download_parameters("asset_id", KIND.path_pattern),
                "security": SECURITY,
            },
        )


router = resource_router(
    RESOURCE,
    create=Create(AssetCopy, copy_asset, "Copy an asset (`media:create` in the target)."),
    update=Update(
        AssetUpdate,
        update_asset,
        "Move, rename, trash, restore or roll back an asset: exactly one property per request.",
    ),
    delete=Delete(delete_asset, "Move the asset to the trashcan (`media:delete`)."),
    list_description="Assets directly in `folder_id` (default the root) unless `recursive`.",
    extra_item_routes=_item_routes,
)
