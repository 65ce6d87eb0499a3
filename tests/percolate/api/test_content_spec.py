"""The content endpoints in the Percolate OpenAPI document: valid, with stable operation ids."""

from __future__ import annotations

import httpx
import pytest
from openapi_spec_validator import validate

pytestmark = pytest.mark.anyio


async def test_the_spec_stays_valid_and_lists_the_content_operations(
    api: httpx.AsyncClient,
) -> None:
    document = (await api.get("/api/v5/spec.json")).json()
    validate(document)
    operations = {
        operation["operationId"]
        for item in document["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict) and "operationId" in operation
    }
    assert operations >= {
        "listSchemas",
        "createSchema",
        "getSchema",
        "updateSchema",
        "listPosts",
        "createPost",
        "getPost",
        "updatePost",
        "deletePost",
        "listMetadatas",
        "createMetadata",
        "listComments",
        "createComment",
        "listWebhooks",
        "createWebhook",
        "listWebhookDeliveries",
        "replayWebhookDelivery",
        "listPostWebhooks",
        "createPostWebhook",
        "deletePostWebhook",
        "setChannelPublisher",
        "listApprovalWorkflows",
        "getApprovalWorkflow",
        "createApprovalFeedback",
    }
    statuses = document["paths"]["/api/v5/post/"]["get"]["parameters"]
    assert {
        "statuses",
        "scope_ids",
        "extend_scopes",
        "live_at:from",
        "keywords",
        "approval_user_ids",
        "exclude_approved_by",
    } <= {p["name"] for p in statuses}
