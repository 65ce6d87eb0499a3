"""``/api/v5/approval_workflow/`` (a Tenantry addition): the approval workflows of posts.

A post enters approvals (``approvals.queued`` / ``approvals.draft``) with an
``approval_group_id``, which starts a workflow in the post's scope. One holder of
``approval:post:approve`` there decides it (:mod:`.approval_feedback`); when the post leaves
approvals any other way (reverted to draft, bypassed by ``post:publish``) or a different
group is sent while it waits, the pending workflow is ``ended``. This module keeps workflows
in step with the post's status (:func:`follow_transition`, called by the post service right
after its conditional UPDATE, so the post's row lock orders every workflow write), shows
them, and gives posts their ``approval_workflow_id`` and the two approval list filters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import Select, exists, or_, select, union, update

from tenantry.core.errors import Conflict, FieldError
from tenantry.core.resources.scoped import of_tenant, same_tenant
from tenantry.percolate.api.common import (
    owned_by_scopes,
    visible_in_reach,
)
from tenantry.percolate.api.context import V5Context
from tenantry.percolate.api.fields import (
    column,
    compile_presenter,
    constant,
    schema_of,
    scope,
    timestamp,
    typed_id,
)
from tenantry.percolate.api.ids import IdKind
from tenantry.percolate.api.params import csv_param, ids_param
from tenantry.percolate.api.resource import (
    Include,
    ListFilter,
    OrderField,
    Resource,
    Row,
    column_in,
)
from tenantry.percolate.api.routes import resource_router
from tenantry.percolate.post.lifecycle import (
    STATUS_FAMILIES,
    ApprovalEffect,
    TransitionPlan,
)
from tenantry.percolate.post.models import ApprovalFeedback, ApprovalWorkflow, Post

__all__ = [
    "FEEDBACKS",
    "KIND",
    "POST_FILTERS",
    "RESOURCE",
    "Decision",
    "follow_transition",
    "no_longer_pending",
    "router",
    "workflow_ids",
]

KIND = IdKind("approval_workflow")
POST = IdKind("post")
USER = IdKind("user")
PENDING, APPROVED, REJECTED, ENDED = "pending", "approved", "rejected", "ended"
STATUSES = (PENDING, APPROVED, REJECTED, ENDED)
FEEDBACKS = (APPROVED, REJECTED)
_IN_APPROVALS = frozenset(STATUS_FAMILIES["approvals"])
W, F = ApprovalWorkflow, ApprovalFeedback


@dataclass(frozen=True, slots=True)
class Decision:
    """An approver's verdict on a pending workflow, stored with the post's move."""

    workflow_id: int
    outcome: Literal["approved", "rejected"]


# --- keeping workflows in step with the post -------------------------------------------------


async def follow_transition(
    ctx: V5Context,
    post_key: int,
    scope_id: int | None,
    plan: TransitionPlan,
    *,
    group: str | None,
    decision: Decision | None = None,
) -> None:
    """Apply ``plan``'s approval effect to the post's workflows.

    ``group`` is the post's approval group after the change (sent now or stored). Entering
    approvals starts a workflow; leaving them ends the pending one, or records ``decision``
    (a 409 if another decision or a revert got there first); staying in approvals with a
    different group replaces the pending workflow ("overwrites an existing one").
    """
    now = datetime.now(UTC)
    if decision is not None:
        decided = await ctx.session.execute(
            update(W)
            .where(of_tenant(W, ctx.tenant_id), W.id == decision.workflow_id, W.status == PENDING)
            .values(status=decision.outcome, completed_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if getattr(decided, "rowcount", 0) != 1:
            raise no_longer_pending(decision.workflow_id)
        return
    if plan.approval is ApprovalEffect.CLOSE:
        await _end_pending(ctx, post_key, now)
    elif plan.approval is ApprovalEffect.START and group is not None:
        await _end_pending(ctx, post_key, now)  # a workflow left over from a direct write
        _start(ctx, post_key, scope_id, group)
    elif plan.status in _IN_APPROVALS and group is not None:
        pending = await ctx.session.scalar(
            select(W.approval_group_id).where(
                of_tenant(W, ctx.tenant_id), W.post_id == post_key, W.status == PENDING
            )
        )
        if pending != group:
            await _end_pending(ctx, post_key, now)
            _start(ctx, post_key, scope_id, group)
    await ctx.session.flush()


async def _end_pending(ctx: V5Context, post_key: int, now: datetime) -> None:
    await ctx.session.execute(
        update(W)
        .where(of_tenant(W, ctx.tenant_id), W.post_id == post_key, W.status == PENDING)
        .values(status=ENDED, completed_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )


def _start(ctx: V5Context, post_key: int, scope_id: int | None, group: str) -> None:
    ctx.session.add(
        W(
            tenant_id=ctx.tenant_id,
            post_id=post_key,
            scope_id=scope_id,
            user_id=ctx.user_id,
            approval_group_id=group,
            status=PENDING,
        )
    )


def no_longer_pending(key: int) -> Conflict:
    """The 409 for a decision on a workflow that was decided or ended (maybe meanwhile)."""
    return Conflict(
        "The approval workflow is no longer pending: it was decided or ended.",
        [
            FieldError(
                "approval_workflow_id", "is no longer pending", KIND.encode(key), code="conflict"
            )
        ],
    )


# --- what posts show and filter on -----------------------------------------------------------


async def workflow_ids(ctx: V5Context, rows: Sequence[Row]) -> dict[int, dict[str, Any]]:
    """``approval_workflow_id`` for a page of posts (one query): the post's latest workflow,
    unless that one was ended (the post was taken out of approvals). Only a post that was
    ever given an ``approval_group_id`` can have one, so a page without such posts costs no
    query. Posts without one are left out: their presented ``null`` stands."""
    keys = sorted({row["id"] for row in rows if row["approval_group_id"] is not None})
    latest: dict[int, tuple[int, str]] = {}
    if keys:
        found = await ctx.db.rows(
            select(W.post_id, W.id, W.status)
            .where(of_tenant(W, ctx.tenant_id), W.post_id.in_(keys))
            .order_by(W.post_id, W.id)
        )
        for post_key, key, status in found:
            latest[post_key] = (key, status)
    return {
        post_key: {"approval_workflow_id": KIND.encode(key)}
        for post_key, (key, status) in latest.items()
        if status != ENDED
    }


def _participants(tenant_id: int, users: list[int]) -> Select[Any]:
    """Posts whose workflows (pending or complete) these users submitted or decided."""
    submitted = select(W.post_id).where(
        of_tenant(W, tenant_id), W.user_id.in_(users), W.status != ENDED
    )
    decided = select(F.post_id).where(of_tenant(F, tenant_id), F.user_id.in_(users))
    return select(union(submitted, decided).subquery().c.post_id)


async def _post_filters(stmt: Select[Any], values: dict[str, Any], ctx: V5Context) -> Select[Any]:
    if "approval_user_ids" in values:
        stmt = stmt.where(Post.id.in_(_participants(ctx.tenant_id, values["approval_user_ids"])))
    if "exclude_approved_by" in values:
        approved = select(F.post_id).where(
            of_tenant(F, ctx.tenant_id),
            F.user_id.in_(values["exclude_approved_by"]),
            F.feedback == APPROVED,
        )
        stmt = stmt.where(Post.id.not_in(approved))
    return stmt


POST_FILTERS = ListFilter(
    (
        ids_param(
            "approval_user_ids",
            USER,
            "A CSV of user IDs: posts whose approval workflows (pending or complete) these"
            " users submitted or gave feedback on.",
        ),
        ids_param(
            "exclude_approved_by",
            USER,
            "A CSV of user IDs: leave out posts any of these users approved.",
        ),
    ),
    _post_filters,
)
"""``approval_user_ids`` and ``exclude_approved_by`` on ``GET /api/v5/post/``."""


# --- the approval_workflow resource ------------------------------------------------------------


FEEDBACK = (
    typed_id("user", F.user_id),
    column(F.feedback, {"type": "string", "enum": list(FEEDBACKS)}),
    column(F.comment, {"type": "string"}),
    timestamp(F.created_at),
)
"""A feedback as listed in its workflow's ``feedbacks``."""
_present_feedback = compile_presenter(FEEDBACK, "present_feedback")


async def _feedbacks(ctx: V5Context, rows: Sequence[Row]) -> dict[int, dict[str, Any]]:
    """Every feedback of a page of workflows, oldest first (one query)."""
    found = await ctx.db.mappings(
        select(F.workflow_id, F.user_id, F.feedback, F.comment, F.created_at)
        .where(of_tenant(F, ctx.tenant_id), F.workflow_id.in_([row["id"] for row in rows]))
        .order_by(F.workflow_id, F.id)
    )
    shown: dict[int, dict[str, Any]] = {row["id"]: {"feedbacks": []} for row in rows}
    for row in found:
        shown[row["workflow_id"]]["feedbacks"].append(_present_feedback(row, ctx))
    return shown


async def _workflow_filters(
    stmt: Select[Any], values: dict[str, Any], ctx: V5Context
) -> Select[Any]:
    if "statuses" in values:
        stmt = stmt.where(W.status.in_(values["statuses"]))
    users = values.get("approval_workflow_participant_user_ids")
    if users:
        decided = exists().where(same_tenant(F, W), F.workflow_id == W.id, F.user_id.in_(users))
        stmt = stmt.where(or_(W.user_id.in_(users), decided))
    return stmt


RESOURCE = Resource(
    kind=KIND,
    model=W,
    title="ApprovalWorkflow",
    fields=(
        typed_id("approval_workflow", W.id),
        typed_id("post", W.post_id),
        scope(W.scope_id),
        typed_id("user", W.user_id),
        column(W.approval_group_id, {"type": "string"}),
        column(W.status, {"type": "string", "enum": list(STATUSES)}),
        constant("feedbacks", [], {"type": "array", "items": schema_of(FEEDBACK)}),
        timestamp(W.created_at),
        timestamp(W.updated_at),
        timestamp(W.completed_at),
    ),
    visible=visible_in_reach("approval:post:read", W.scope_id),
    order_fields={"created_at": OrderField(W.created_at)},
    includes={
        "post_id": Include("post", lambda row: [row["post_id"]]),
        "user_id": Include("user", lambda row: [row["user_id"]]),
    },
    filters=(
        owned_by_scopes(W.scope_id),
        column_in(ids_param("post_ids", POST, "A CSV of post IDs to filter by."), W.post_id),
        ListFilter(
            (
                csv_param("statuses", "A CSV of workflow statuses.", enum=STATUSES),
                ids_param(
                    "approval_workflow_participant_user_ids",
                    USER,
                    "A CSV of user IDs: workflows these users submitted or gave feedback on.",
                ),
            ),
            _workflow_filters,
        ),
    ),
    enrich=_feedbacks,
)

router = resource_router(
    RESOURCE,
    list_description=(
        "Approval workflows of posts (a Tenantry addition), visible with `approval:post:read`"
        " in the post's scope; filter by `post_ids`, `statuses`, participants."
    ),
)
