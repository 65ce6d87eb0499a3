"""``POST /api/v5/approval_workflow/{id}/feedback`` (a Tenantry addition): decide an approval.

A holder of ``approval:post:approve`` in the post's scope approves or rejects a pending
workflow. Approval moves the post on as the life cycle says (``approvals.queued`` →
``queued``, ``approvals.draft`` → ``draft``); rejection sends it back to ``draft``. Both
go through :func:`.post.change_status` in the request's transaction, so the publisher and
the post webhooks hear of it as of any other status change, and a decision that loses a race
(another decision, a revert, a bypass) is a 409 that changes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import Response

from tenantry.percolate.api.auth import CallerDep
from tenantry.percolate.api.context import V5Context, forbidden, open_context
from tenantry.percolate.api.resource import fetch_one
from tenantry.percolate.api.routes import API_PREFIX, SECURITY, json_response, read_body
from tenantry.percolate.api.runtime import RuntimeDep
from tenantry.percolate.api.schemas import body_schema, error_responses, single_ref
from tenantry.percolate.post import approval
from tenantry.percolate.post.lifecycle import PostStatus, on_approved, on_rejected
from tenantry.percolate.post.models import ApprovalFeedback, ApprovalWorkflow, Post
from tenantry.percolate.post.service import change_status

__all__ = ["FeedbackCreate", "router"]

PARAM = "approval_workflow_id"


class FeedbackCreate(BaseModel):
    """An approver's verdict and an optional comment for the post's author."""

    model_config = ConfigDict(extra="ignore")

    feedback: Literal["approved", "rejected"]
    comment: str = Field(default="", max_length=20_000)


async def decide(ctx: V5Context, key: int, wire: str, body: FeedbackCreate) -> None:
    """Record the verdict and move the post, or raise (403 unseen or not an approver, 409
    no longer pending or the post left approvals) with nothing changed."""
    workflow = await ctx.session.get(ApprovalWorkflow, (ctx.tenant_id, key))
    if workflow is None or not await ctx.can("approval:post:read", workflow.scope_id):
        raise forbidden(PARAM, wire, "approval workflow")
    await ctx.require("approval:post:approve", workflow.scope_id, PARAM, wire)
    if workflow.status != "pending":
        raise approval.no_longer_pending(key)
    post = await ctx.session.get(Post, (ctx.tenant_id, workflow.post_id))
    if post is None:  # deleted meanwhile (the workflow goes with it)
        raise approval.no_longer_pending(key)
    now = datetime.now(UTC)
    outcome = on_approved if body.feedback == "approved" else on_rejected
    plan = outcome(post.status, live_at=post.live_at, now=now)
    await change_status(
        ctx,
        post,
        PostStatus(post.status),
        plan,
        {},
        decision=approval.Decision(key, body.feedback),
    )
    ctx.session.add(
        ApprovalFeedback(
            tenant_id=ctx.tenant_id,
            workflow_id=key,
            post_id=workflow.post_id,
            user_id=ctx.user_id,
            feedback=body.feedback,
            comment=body.comment,
        )
    )
    await ctx.session.flush()


async def feedback_endpoint(request: Request, runtime: RuntimeDep, caller: CallerDep) -> Response:
    wire = request.path_params[PARAM]
    key = approval.KIND.parse(wire, PARAM)
    body = await read_body(request, FeedbackCreate)
    async with open_context(runtime, caller) as ctx:
        await decide(ctx, key, wire, body)
        shown = await fetch_one(approval.RESOURCE, ctx, key, wire_key=PARAM, wire_value=wire)
    return json_response(shown, 201)


router = APIRouter(prefix=API_PREFIX, tags=["approval_workflow"])
for _path, _shown in (
    ("/approval_workflow/{approval_workflow_id}/feedback", True),
    ("/approval_workflow/{approval_workflow_id}/feedback/", False),
):
    router.add_api_route(
        _path,
        feedback_endpoint,
        methods=["POST"],
        status_code=201,
        operation_id="createApprovalFeedback" if _shown else None,
        include_in_schema=_shown,
        summary="Approve or reject a post's approval workflow",
        description=(
            "Needs `approval:post:approve` in the post's scope. `approved` moves the post on"
            " (`approvals.queued` → `queued`, `approvals.draft` → `draft`), `rejected` sends it"
            " back to `draft`; 409 when the workflow is no longer pending. Answers the workflow."
        ),
        responses={201: single_ref("ApprovalWorkflow"), **error_responses(conflict=True)},
        openapi_extra={
            "parameters": [
                {
                    "name": PARAM,
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "pattern": approval.KIND.path_pattern},
                }
            ],
            "requestBody": body_schema(FeedbackCreate),
            "security": SECURITY,
        },
    )
