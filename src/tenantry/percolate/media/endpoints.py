"""``/api/v3/media`` (reference §3.6, deprecated): the v3 calls clients still make, mapped
onto the v5 library (the same folders, assets, variants and rules)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response

from tenantry.core.base import utcnow
from tenantry.core.resources.scoped import of_tenant
from tenantry.core.storage.download import serve
from tenantry.percolate.api.auth import CallerDep
from tenantry.percolate.api.context import V5Context, forbidden, open_context
from tenantry.percolate.api.ids import ScopeRef, invalid
from tenantry.percolate.api.routes import SECURITY, json_response, read_body
from tenantry.percolate.api.runtime import RuntimeDep
from tenantry.percolate.api.schemas import body_schema, error_responses
from tenantry.percolate.asset.bodies import AssetUpdate
from tenantry.percolate.asset.models import Asset, Variant
from tenantry.percolate.asset.service import update_asset, visible_asset
from tenantry.percolate.folder.bodies import FolderCreate, FolderUpdate
from tenantry.percolate.folder.models import Folder
from tenantry.percolate.folder.service import create_folder, update_folder
from tenantry.percolate.media.custom import (
    LICENSE_KIND,
    CustomList,
    records_of,
    replace_license_records,
)
from tenantry.percolate.media.present import V3_SIZES, Presenter
from tenantry.percolate.media.search import parse_search, run_search
from tenantry.percolate.media.uids import MEDIA_PATTERN, MediaRef, parse_uid
from tenantry.percolate.media.upload import (
    MAX_PARTS,
    UPLOAD_FORM,
    check_request,
    is_multipart,
    parse_form,
    store_media,
)

router = APIRouter(prefix="/api/v3", tags=["media"])
IMAGE_SIZES = ("small", "medium", "large", "original", "square", "thumbnail")


class FolderBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: str = Field(default="folder", pattern="^folder$")
    name: str = Field(min_length=1, max_length=255)
    description: str | None = Field(default=None, max_length=10000)
    license_id: int = Field(ge=1, le=10**18 - 1)
    parent_uid: str | None = Field(default=None, pattern=r"^(folder:\d{1,18}|primary)$")


class MoveBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    uids: list[str] = Field(min_length=1, max_length=1000)


class MetadataBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    title: str | None = Field(default=None, max_length=255)
    description: str | None = Field(default=None, max_length=10000)
    tags: list[str] | None = Field(default=None, max_length=200)
    name: str | None = Field(default=None, min_length=1, max_length=255)


def _ref(request: Request) -> MediaRef:
    return parse_uid(request.path_params["media_id"], "media_id")


async def _listing(
    ctx: V5Context, request: Request, folder: str | None, scope_id: int | None = None
) -> dict[str, Any]:
    search = parse_search(dict(request.query_params), folder=folder, scope_id=scope_id)
    page, total = await run_search(ctx, search)
    folders = [item for item in page if isinstance(item, Folder)]
    assets = [item for item in page if isinstance(item, Asset)]
    shown = Presenter(ctx, str(request.base_url))
    await shown.load(folders, assets)
    items = [shown.folder(i) if isinstance(i, Folder) else shown.asset(i) for i in page]
    tags: dict[str, int] = {}
    for asset in assets:
        for tag in asset.tags or []:
            tags[tag] = tags.get(tag, 0) + 1
    body: dict[str, Any] = {
        "data": items,
        "pagination": {
            "total": total,
            "limit": search.limit,
            "offset": search.offset,
            "order_by": request.query_params.get("order_by", "created_at"),
            "order_direction": "desc" if search.descending else "asc",
        },
    }
    if request.query_params.get("hide_facets", "false").lower() != "true":
        body = {"facets": {"tags": tags}, **body}
    return body


async def search_endpoint(request: Request, runtime: RuntimeDep, caller: CallerDep) -> Response:
    """The search; with ``uids`` the SDK's ``items`` call, answered as a bare array."""
    async with open_context(runtime, caller) as ctx:
        listing = await _listing(ctx, request, None)
    if "uids" in request.query_params:
        return json_response(listing["data"])
    return json_response(listing)


async def _item(ctx: V5Context, request: Request, ref: MediaRef) -> dict[str, Any]:
    shown = Presenter(ctx, str(request.base_url))
    if ref.kind == "folder":
        folder = await ctx.session.get(Folder, (ctx.tenant_id, ref.key))
        if folder is None or not await ctx.can("folders:read", folder.scope_id):
            raise forbidden("media_id", f"folder:{ref.key}", "folder")
        await shown.load([folder], [])
        return shown.folder(folder)
    asset = await visible_asset(ctx, ref.key)
    await shown.load([], [asset])
    return shown.asset(asset)


async def get_endpoint(request: Request, runtime: RuntimeDep, caller: CallerDep) -> Response:
    ref = _ref(request)
    async with open_context(runtime, caller) as ctx:
        if ref.kind == "folder":
            folder = await ctx.session.get(Folder, (ctx.tenant_id, ref.key))
            if folder is None or not await ctx.can("folders:read", folder.scope_id):
                raise forbidden("media_id", f"folder:{ref.key}", "folder")
            listing = await _listing(ctx, request, f"folder:{ref.key}", folder.scope_id)
            return json_response(listing)
        return json_response(await _item(ctx, request, ref))


async def upload_endpoint(request: Request, runtime: RuntimeDep, caller: CallerDep) -> Response:
    await check_request(request)
    async with request.form(max_files=1, max_fields=MAX_PARTS) as form:
        fields, file = parse_form(form)
        async with open_context(runtime, caller) as ctx:
            asset = await store_media(ctx, fields, file)
            shown = await _item(ctx, request, MediaRef("asset", asset.id))
    return json_response(shown, 201)


async def create_endpoint(request: Request, runtime: RuntimeDep, caller: CallerDep) -> Response:
    """A folder (JSON), or a file (``multipart/form-data``, the SDK's upload)."""
    if is_multipart(request):
        return await upload_endpoint(request, runtime, caller)
    body = await read_body(request, FolderBody)
    parent = body.parent_uid if body.parent_uid and body.parent_uid != "primary" else None
    async with open_context(runtime, caller) as ctx:
        key = await create_folder(
            ctx,
            FolderCreate(
                name=body.name,
                description=body.description,
                parent_id=parent or "folder:primary",
                scope_id=f"license:{body.license_id}",
            ),
        )
        shown = await _item(ctx, request, MediaRef("folder", key))
    return json_response(shown, 201)


async def move_endpoint(request: Request, runtime: RuntimeDep, caller: CallerDep) -> Response:
    target = _ref(request)
    if target.kind != "folder":
        raise invalid("media_id", "Items move into a folder.", request.path_params["media_id"])
    body = await read_body(request, MoveBody)
    refs = [parse_uid(uid, f"uids[{index}]") for index, uid in enumerate(body.uids)]
    destination = f"folder:{target.key}"
    async with open_context(runtime, caller) as ctx:
        for ref in refs:
            if ref.kind == "folder":
                await update_folder(ctx, ref.key, FolderUpdate(parent_id=destination))
            else:
                await update_asset(ctx, ref.key, AssetUpdate(folder_id=destination))
        items = [await _item(ctx, request, ref) for ref in refs]
    return json_response({"data": items})


async def download_endpoint(request: Request, runtime: RuntimeDep, caller: CallerDep) -> Response:
    ref = _ref(request)
    if ref.kind != "asset":
        raise invalid("media_id", "Folders cannot be downloaded.", request.path_params["media_id"])
    size = request.query_params.get("image_size", "original")
    if size not in IMAGE_SIZES:
        raise invalid("image_size", f"image_size accepts: {', '.join(IMAGE_SIZES)}.", size)
    name = {"small": "thumbnail", "large": "original"}.get(size, size)
    async with open_context(runtime, caller, read_only=True) as ctx:
        asset = await ctx.get(Asset, (ctx.tenant_id, ref.key))
        wire = request.path_params["media_id"]
        if asset is None or not await ctx.can("media:read", asset.scope_id):
            raise forbidden("media_id", wire, "media")
        await ctx.require("media:download", asset.scope_id, "media_id", wire)
        key, content_type = asset.storage_key, asset.content_type
        if asset.type == "image" and name in V3_SIZES:
            rows = await ctx.db.rows(
                select(Variant.storage_key, Variant.content_type).where(
                    of_tenant(Variant, ctx.tenant_id),
                    Variant.asset_id == asset.id,
                    Variant.name == V3_SIZES[name],
                )
            )
            if rows:
                key, content_type = rows[0][0], rows[0][1]
    return await serve(
        runtime.platform.storage,
        key,
        filename=asset.filename,
        content_type=content_type,
        range_header=request.headers.get("range"),
    )


async def _metadata_target(ctx: V5Context, ref: MediaRef, capability: str) -> Folder | Asset:
    if ref.kind == "folder":
        folder = await ctx.session.get(Folder, (ctx.tenant_id, ref.key))
        if folder is None or not await ctx.can("folders:read", folder.scope_id):
            raise forbidden("media_id", f"folder:{ref.key}", "folder")
        if capability != "read":
            await ctx.require("folders:metadata:update", folder.scope_id, "media_id")
        return folder
    if capability == "read":
        return await visible_asset(ctx, ref.key)
    return await visible_asset(ctx, ref.key, capability=capability)


async def _metadata_of(ctx: V5Context, request: Request, target: Folder | Asset) -> dict[str, Any]:
    shown = Presenter(ctx, str(request.base_url))
    if isinstance(target, Folder):
        await shown.load([target], [])
        folder_meta: dict[str, Any] = shown.folder(target)["metadata"]
        return folder_meta
    await shown.load([], [target])
    return shown.metadata(target)


async def metadata_get(request: Request, runtime: RuntimeDep, caller: CallerDep) -> Response:
    ref = _ref(request)
    async with open_context(runtime, caller) as ctx:
        target = await _metadata_target(ctx, ref, "read")
        return json_response({"data": await _metadata_of(ctx, request, target)})


async def metadata_put(request: Request, runtime: RuntimeDep, caller: CallerDep) -> Response:
    ref = _ref(request)
    body = await read_body(request, MetadataBody)
    async with open_context(runtime, caller) as ctx:
        target = await _metadata_target(ctx, ref, "media:metadata:update")
        if isinstance(target, Folder):
            if body.name is not None:
                target.name = body.name
            if "description" in body.model_fields_set:
                target.description = body.description
        else:
            if "title" in body.model_fields_set:
                target.title = body.title
            if "description" in body.model_fields_set:
                target.description = body.description
            if body.tags is not None:
                target.tags = list(dict.fromkeys(t.strip() for t in body.tags if t.strip()))
        target.updated_at = utcnow()
        await ctx.session.flush()
        return json_response(await _metadata_of(ctx, request, target))


async def metadata_delete(request: Request, runtime: RuntimeDep, caller: CallerDep) -> Response:
    """Clear an item's title, description and tags."""
    ref = _ref(request)
    async with open_context(runtime, caller) as ctx:
        target = await _metadata_target(ctx, ref, "media:metadata:update")
        target.description = None
        if isinstance(target, Asset):
            target.title, target.tags = None, []
        target.updated_at = utcnow()
        await ctx.session.flush()
    return Response(status_code=204)


async def _license(ctx: V5Context, request: Request, capability: str) -> int:
    raw = request.query_params.get("license_id", "")
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        raise invalid("license_id", "license_id is required: the license's number.", raw[:200])
    scope_id = await ctx.scope_of(ScopeRef("license", int(raw)), "license_id")
    if scope_id is None or not await ctx.can("media:read", scope_id):
        raise forbidden("license_id", raw, "license")
    await ctx.require(capability, scope_id, "license_id", raw)
    return scope_id


async def custom_get(request: Request, runtime: RuntimeDep, caller: CallerDep) -> Response:
    async with open_context(runtime, caller) as ctx:
        scope_id = await _license(ctx, request, "media:read")
        found = await records_of(ctx, LICENSE_KIND, [scope_id])
    return json_response({"data": found.get(scope_id, [])})


async def custom_put(request: Request, runtime: RuntimeDep, caller: CallerDep) -> Response:
    body = await read_body(request, CustomList)
    async with open_context(runtime, caller) as ctx:
        scope_id = await _license(ctx, request, "media:metadata:update")
        await replace_license_records(ctx, scope_id, body.custom_metadata)
        found = await records_of(ctx, LICENSE_KIND, [scope_id])
    return json_response({"data": found.get(scope_id, [])})


_ITEM = {
    "name": "media_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": MEDIA_PATTERN},
}
_LICENSE = {
    "name": "license_id",
    "in": "query",
    "required": False,
    "schema": {"type": "integer", "minimum": 1},
}
_OBJECT = {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}}


def _search_parameters() -> list[dict[str, Any]]:
    text = {"type": "string"}
    return [
        {
            "name": "index_license_id",
            "in": "query",
            "required": True,
            "schema": {"type": "integer", "minimum": 1},
        },
        {
            "name": "folder_uid",
            "in": "query",
            "schema": {"type": "string", "pattern": r"^(folder:\d+|primary)$"},
        },
        {"name": "flat", "in": "query", "schema": {"type": "string", "enum": ["true", "false"]}},
        {"name": "type", "in": "query", "schema": text},
        {"name": "query", "in": "query", "schema": text},
        {"name": "content_type", "in": "query", "schema": text},
        {"name": "exclude_content_types", "in": "query", "schema": text},
        {"name": "content_type_order", "in": "query", "schema": text},
        {"name": "orientations", "in": "query", "schema": text},
        {"name": "sizes", "in": "query", "schema": text},
        {"name": "state", "in": "query", "schema": text},
        {"name": "tag", "in": "query", "schema": text},
        {"name": "term_uids", "in": "query", "schema": text},
        {"name": "uids", "in": "query", "schema": text},
        {"name": "user_ids", "in": "query", "schema": text},
        {"name": "ingested_from", "in": "query", "schema": text},
        {"name": "start_at", "in": "query", "schema": {"type": "string", "format": "date"}},
        {"name": "end_at", "in": "query", "schema": {"type": "string", "format": "date"}},
        {"name": "expires_after", "in": "query", "schema": {"type": "string", "format": "date"}},
        {"name": "expires_before", "in": "query", "schema": {"type": "string", "format": "date"}},
        {
            "name": "is_photo",
            "in": "query",
            "schema": {"type": "string", "enum": ["true", "false"]},
        },
        {
            "name": "has_usage_rights",
            "in": "query",
            "schema": {"type": "string", "enum": ["true", "false"]},
        },
        {
            "name": "approval_workflow",
            "in": "query",
            "schema": {"type": "string", "enum": ["incomplete"]},
        },
        {"name": "approval_user_ids", "in": "query", "schema": text},
        {"name": "approval_workflow_participant_user_ids", "in": "query", "schema": text},
        {"name": "approval_workflow_participant_feedbacks", "in": "query", "schema": text},
        {"name": "approval_workflow_participant_in_step", "in": "query", "schema": text},
        {"name": "deleted", "in": "query", "schema": {"type": "string", "enum": ["true", "false"]}},
        {
            "name": "hide_facets",
            "in": "query",
            "schema": {"type": "string", "enum": ["true", "false"]},
        },
        {
            "name": "order_by",
            "in": "query",
            "schema": {
                "type": "string",
                "enum": sorted(["creation_date", "added_at", "created_at", "name", "title"]),
            },
        },
        {
            "name": "order_direction",
            "in": "query",
            "schema": {"type": "string", "enum": ["asc", "desc"]},
        },
        {
            "name": "limit",
            "in": "query",
            "schema": {"type": "integer", "minimum": 0, "maximum": 100},
        },
        {
            "name": "offset",
            "in": "query",
            "schema": {"type": "integer", "minimum": 0, "maximum": 10000},
        },
    ]


def _default(status: int) -> dict[str, Any]:
    return _OBJECT if status != 204 else {"description": "Done."}


def _add(path: str, endpoint: Any, method: str, operation: str, summary: str, **extra: Any) -> None:
    parameters = extra.pop("parameters", [])
    status = extra.pop("status_code", 200)
    openapi_extra: dict[str, Any] = {"parameters": parameters, "security": SECURITY}
    if "body" in extra:
        openapi_extra["requestBody"] = body_schema(extra.pop("body"))
    if "form" in extra:
        openapi_extra["requestBody"]["content"]["multipart/form-data"] = {
            "schema": extra.pop("form")
        }
    router.add_api_route(
        path,
        endpoint,
        methods=[method],
        status_code=status,
        operation_id=operation,
        summary=summary,
        deprecated=True,
        responses={status: extra.pop("shown", _default(status)), **error_responses()},
        openapi_extra=openapi_extra,
    )


_add(
    "/media",
    search_endpoint,
    "GET",
    "searchMedia",
    "Search a license's media",
    parameters=_search_parameters(),
)
_add(
    "/media",
    create_endpoint,
    "POST",
    "createMediaFolder",
    "Create a folder (JSON), or upload a file (multipart/form-data)",
    status_code=201,
    body=FolderBody,
    form=UPLOAD_FORM,
)
_REQUIRED_LICENSE = {**_LICENSE, "required": True}
_add(
    "/media/custom_metadata",
    custom_get,
    "GET",
    "getMediaCustomMetadata",
    "A license's custom metadata",
    parameters=[_REQUIRED_LICENSE],
)
_add(
    "/media/custom_metadata",
    custom_put,
    "PUT",
    "updateMediaCustomMetadata",
    "Replace a license's custom metadata",
    parameters=[_REQUIRED_LICENSE],
    body=CustomList,
)
_add(
    "/media/{media_id}",
    get_endpoint,
    "GET",
    "getMedia",
    "An item, or a folder's contents",
    parameters=[_ITEM, _LICENSE],
)
_add(
    "/media/{media_id}",
    move_endpoint,
    "POST",
    "moveMedia",
    "Move items into this folder",
    parameters=[_ITEM],
    body=MoveBody,
)
_add(
    "/media/{media_id}/download",
    download_endpoint,
    "GET",
    "downloadMedia",
    "Download an item (303 to a signed URL on S3)",
    shown={"description": "The file.", "content": {"*/*": {"schema": {"type": "string"}}}},
    parameters=[
        _ITEM,
        _LICENSE,
        {
            "name": "image_size",
            "in": "query",
            "schema": {"type": "string", "enum": list(IMAGE_SIZES)},
        },
    ],
)
_add(
    "/media/{media_id}/metadata",
    metadata_get,
    "GET",
    "getMediaMetadata",
    "An item's metadata",
    parameters=[_ITEM, _LICENSE],
)
_add(
    "/media/{media_id}/metadata",
    metadata_put,
    "PUT",
    "updateMediaMetadata",
    "Change an item's metadata",
    parameters=[_ITEM, _LICENSE],
    body=MetadataBody,
)
_add(
    "/media/{media_id}/metadata",
    metadata_delete,
    "DELETE",
    "clearMediaMetadata",
    "Clear an item's metadata",
    parameters=[_ITEM, _LICENSE],
    status_code=204,
)
