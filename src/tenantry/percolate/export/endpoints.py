"""``/api/v5/export/`` (reference §3.15): preview rows as JSON, start a full export (a job
mails the CSV link), read an export's progress, and download its file by signed link."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import func, select
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from tenantry.core.platform import PlatformDep
from tenantry.core.storage import StorageKeyNotFound
from tenantry.core.storage.policy import PolicyViolation, verify_presigned_get
from tenantry.core.tenancy import tenant_session
from tenantry.percolate.api.auth import CallerDep
from tenantry.percolate.api.context import forbidden, open_context
from tenantry.percolate.api.ids import IdKind
from tenantry.percolate.api.routes import SECURITY, json_response, query_of, read_body
from tenantry.percolate.api.runtime import RuntimeDep
from tenantry.percolate.api.schemas import error_responses
from tenantry.percolate.export.bodies import ExportCreate
from tenantry.percolate.export.filters import check_ids, plan_of, preview_limit
from tenantry.percolate.export.links import FILE_PATH, storage_key
from tenantry.percolate.export.models import Export
from tenantry.percolate.export.rows import preview_row
from tenantry.percolate.export.service import present, start_export

KIND = IdKind("export")
ACCOUNT = IdKind("account")
router = APIRouter()


def _single(request: Request) -> dict[str, Any]:
    return {
        key: values[-1] if len(values) == 1 else ",".join(values)
        for key, values in query_of(request).items()
    }


async def preview(request: Request, runtime: RuntimeDep, caller: CallerDep) -> Response:
    """The first rows of an export as JSON, through the same query the CSV uses."""
    params = _single(request)
    limit = preview_limit(params.get("limit"))
    check_ids(params.get("ids"))
    async with open_context(runtime, caller, read_only=True) as ctx:
        plan = await plan_of(
            ctx, params.get("type"), params.get("fields"), params.get("scope_ids"), params
        )
        stmt = plan.select(ctx.tenant_id)
        rows: list[Any] = []
        total = 0
        if stmt is not None:
            rows = list(await ctx.db.rows(stmt.limit(limit)))
            counted = await ctx.db.rows(select(func.count()).select_from(stmt.subquery()))
            total = int(counted[0][0])
    query: dict[str, Any] = {
        "type": plan.type,
        "fields": list(plan.fields),
        "limit": limit,
        "offset": 0,
    }
    if params.get("scope_ids"):
        query["scope_ids"] = params["scope_ids"].split(",")
    for key, (start, end) in plan.dates.items():
        if start is not None:
            query[f"{key}:from"] = start
        if end is not None:
            query[f"{key}:to"] = end
    data = [preview_row(plan, row) for row in rows]
    return json_response({"meta": {"total": total, "query": query}, "data": data, "include": {}})


async def create(request: Request, runtime: RuntimeDep, caller: CallerDep) -> Response:
    """Start the full export: a job writes the CSV and mails the link to the caller."""
    body = await read_body(request, ExportCreate)
    extra = dict(body.model_extra or {})
    scope_ids = body.scope_ids
    wire_scopes = (
        [] if not scope_ids else scope_ids.split(",") if isinstance(scope_ids, str) else scope_ids
    )
    async with open_context(runtime, caller) as ctx:
        plan = await plan_of(ctx, body.type, body.fields, wire_scopes, extra)
        export = await start_export(
            ctx.session, ctx.tenant_id, ctx.user_id, plan, [str(item) for item in wire_scopes]
        )
        shown = present(export, runtime.platform.settings)
    return json_response({"data": shown}, 201)


async def read(request: Request, runtime: RuntimeDep, caller: CallerDep) -> Response:
    """An export's status and progress (``rows_done`` of ``rows_total``); the requester's own."""
    key = KIND.parse(request.path_params["export_id"], "export_id")
    async with open_context(runtime, caller, read_only=True) as ctx:
        export = await ctx.get(Export, (ctx.tenant_id, key))
        if export is None or export.user_id != ctx.user_id:
            raise forbidden("export_id", request.path_params["export_id"], "export")
        shown = present(export, runtime.platform.settings)
    return json_response({"data": shown})


async def download(request: Request, platform: PlatformDep) -> Response:
    """The CSV behind a live signed link (no bearer token: the signature is the credential)."""
    wire = request.path_params["export_id"]
    key = KIND.parse(wire, "export_id")
    account = ACCOUNT.parse(request.query_params.get("account", ""), "account")
    object_key = storage_key(account, key)
    refused = forbidden("export_id", wire, "export file")
    try:
        verify_presigned_get(
            object_key, dict(request.query_params), secret=platform.settings.effective_secret_key
        )
    except PolicyViolation as error:
        raise forbidden("signature", str(error), "export file") from None
    async with tenant_session(platform.sessions, account) as session:
        export = await session.get(Export, (account, key))
        if export is None or export.status != "complete" or export.storage_key != object_key:
            raise refused
    try:
        found = await platform.storage.stat(object_key)
    except StorageKeyNotFound:
        raise refused from None
    filename = f"{export.type}-export-{key}.csv"
    return StreamingResponse(
        platform.storage.stream(object_key),
        media_type=found.content_type,
        headers={
            "Content-Length": str(found.size),
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "private, no-store",
        },
    )


_ID_PARAM = {
    "name": "export_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": KIND.path_pattern},
}

for path in ("/api/v5/export/", "/api/v5/export"):
    router.add_api_route(
        path,
        preview,
        methods=["GET"],
        operation_id="previewExport" if path.endswith("/") else None,
        include_in_schema=path.endswith("/"),
        summary="Get a subset of the data as JSON for preview purposes",
        responses=error_responses(),
        openapi_extra={"security": SECURITY},
    )
    router.add_api_route(
        path,
        create,
        methods=["POST"],
        status_code=201,
        operation_id="createExport" if path.endswith("/") else None,
        include_in_schema=path.endswith("/"),
        summary="Start a full export: a job emails a link to download the CSV",
        responses=error_responses(),
        openapi_extra={"security": SECURITY},
    )
router.add_api_route(
    "/api/v5/export/{export_id}",
    read,
    methods=["GET"],
    operation_id="getExport",
    summary="An export's status and progress (Tenantry addition)",
    responses=error_responses(),
    openapi_extra={"parameters": [_ID_PARAM], "security": SECURITY},
)
router.add_api_route(
    FILE_PATH,
    download,
    methods=["GET"],
    operation_id="downloadExport",
    summary="The export's CSV behind the mailed signed link (Tenantry addition)",
    responses=error_responses(auth=False),
    openapi_extra={"parameters": [_ID_PARAM]},
)
