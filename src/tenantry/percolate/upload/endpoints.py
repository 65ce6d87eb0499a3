"""``/api/v5/upload/`` (reference §3.4) and ``POST /api/v5/upload_policy/`` (§3.5).

A poll (``GET /upload/{id}``) ingests the file if it arrived since the last look.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from tenantry.percolate.api.auth import CallerDep
from tenantry.percolate.api.context import open_context
from tenantry.percolate.api.routes import (
    SECURITY,
    Create,
    Update,
    json_response,
    read_body,
    resource_router,
)
from tenantry.percolate.api.runtime import RuntimeDep
from tenantry.percolate.api.schemas import body_schema, error_responses
from tenantry.percolate.upload.bodies import UploadCreate, UploadPolicyCreate, UploadUpdate
from tenantry.percolate.upload.declaration import RESOURCE
from tenantry.percolate.upload.policy import create_policy
from tenantry.percolate.upload.service import check_arrival, create_upload, update_upload

router = resource_router(
    RESOURCE,
    create=Create(
        UploadCreate,
        create_upload,
        "Start an upload (`asset:upload`): `type: file` then a policy, or `type: url`.",
    ),
    update=Update(
        UploadUpdate, update_upload, "`status: ready` ingests the stored file now (409 if absent)."
    ),
    before_get=check_arrival,
    list_description="Uploads of the caller's scopes.",
)


async def policy_endpoint(request: Request, runtime: RuntimeDep, caller: CallerDep) -> Response:
    body = await read_body(request, UploadPolicyCreate)
    async with open_context(runtime, caller) as ctx:
        shown = await create_policy(ctx, body)
    return json_response(shown, 201)


POLICY_RESPONSE = {
    "description": "The form to POST the file with.",
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["data"],
                "properties": {
                    "data": {
                        "type": "object",
                        "required": ["id", "type", "upload_id", "url", "updated_at", "ext"],
                        "properties": {
                            "id": {"type": "string", "pattern": r"^upload_policy:\d+$"},
                            "type": {"type": "string", "enum": ["s3", "s3_multipart"]},
                            "upload_id": {"type": "string", "pattern": r"^upload:\d+$"},
                            "url": {"type": "string"},
                            "updated_at": {"type": "string"},
                            "ext": {"type": "object"},
                        },
                    }
                },
            }
        }
    },
}

for _path, _shown in (("/upload_policy/", True), ("/upload_policy", False)):
    router.add_api_route(
        _path,
        policy_endpoint,
        methods=["POST"],
        status_code=201,
        operation_id="createUploadPolicy" if _shown else None,
        include_in_schema=_shown,
        summary="Create an upload policy",
        description=(
            "One-time form credentials for a `type: file` upload: POST `ext.fields` and then"
            " the file to `url`; success is 204. Then poll the upload. `s3_multipart` (files"
            " of at least 5 MiB): one policy per part, `PUT` the part's bytes to `url`; the"
            " poll completes the upload once the parts hold `ext.file_size`."
        ),
        responses={201: POLICY_RESPONSE, **error_responses()},
        openapi_extra={"requestBody": body_schema(UploadPolicyCreate), "security": SECURITY},
    )
