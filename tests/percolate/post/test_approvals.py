"""Approval workflows of posts over HTTP: entering approvals starts a workflow, one holder of
``approval:post:approve`` decides it and the post moves on; reverts and bypasses end it; the
post list's approval filters; races, isolation and bad input."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import func, select, update
from tests.percolate.support.desks import Caller, Desk, make_post, make_schema

from tenantry.core.jobs import Job
from tenantry.core.tenancy import tenant_session
from tenantry.percolate.post import publishing as publisher
from tenantry.percolate.post.models import ApprovalFeedback, Post
from tenantry.percolate.webhook.declaration import STATUS_CHANGED

pytestmark = pytest.mark.anyio

GROUP = "approval_group:7"


async def _submitted(
    api: httpx.AsyncClient, desk: Desk, author: Caller, status: str = "approvals.queued"
) -> dict[str, Any]:
    """A draft by ``author`` put into approvals with a PUT (the workflow starts there)."""
    schema = await make_schema(api, desk.admin)
    post = await make_post(api, desk, schema["id"], caller=author)
    response = await api.put(
        f"/api/v5/post/{post['id']}",
        json={"status": status, "approval_group_id": GROUP},
        headers=author.headers,
    )
    assert response.status_code == 200, response.text
    shown: dict[str, Any] = response.json()["data"]
    assert shown["status"] == status
    assert shown["approval_workflow_id"] is not None
    return shown


async def _people(desk: Desk) -> tuple[Caller, Caller]:
    """An author who needs approval and an approver, both in the desk's license."""
    author = await desk.account.user(("approvee-community-manager", desk.license))
    approver = await desk.account.user(("community-manager", desk.license))
    return author, approver


async def _feedback(
    api: httpx.AsyncClient, caller: Caller, workflow_id: str, feedback: str, comment: str = ""
) -> httpx.Response:
    return await api.post(
        f"/api/v5/approval_workflow/{workflow_id}/feedback",
        json={"feedback": feedback, "comment": comment},
        headers=caller.headers,
    )


async def _post(api: httpx.AsyncClient, desk: Desk, post_id: str) -> dict[str, Any]:
    response = await api.get(f"/api/v5/post/{post_id}", headers=desk.admin.headers)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def _workflow(api: httpx.AsyncClient, caller: Caller, workflow_id: str) -> httpx.Response:
    return await api.get(f"/api/v5/approval_workflow/{workflow_id}", headers=caller.headers)


async def _jobs(desk: Desk, post_id: str) -> list[Job]:
    """Publish jobs and status-change deliveries enqueued for the post."""
    key = int(post_id.split(":")[1])
    async with desk.account.sessions() as session:
        jobs = await session.scalars(select(Job).where(Job.tenant_id == desk.account.tenant_id))
        found = []
        for job in jobs.all():
            if job.kind == publisher.PUBLISH_JOB and job.payload.get("post_id") == key:
                found.append(job)
            elif job.payload.get("event") == STATUS_CHANGED:
                body = orjson.loads(job.payload["body"])
                if body["data"]["id"] == post_id:
                    found.append(job)
        return found


async def _watch(api: httpx.AsyncClient, desk: Desk, post_id: str) -> None:
    """Associate the post with a webhook that hears of status changes."""
    hook = await api.post(
        "/api/v5/webhook/",
        json={
            "url": "http://127.0.0.1:9/hook",
            "secret": "receiver-secret-0123456789",
            "scope_id": desk.license,
        },
        headers=desk.admin.headers,
    )
    assert hook.status_code == 201, hook.text
    linked = await api.post(
        "/api/v5/postwebhook/",
        json={"post_id": post_id, "webhook_id": hook.json()["data"]["id"]},
        headers=desk.admin.headers,
    )
    assert linked.status_code == 201, linked.text


async def test_approving_queues_the_post_with_the_effects_of_any_status_change(
    api: httpx.AsyncClient, desk: Desk
) -> None:
    author, approver = await _people(desk)
    post = await _submitted(api, desk, author)
    workflow_id = post["approval_workflow_id"]
    assert workflow_id.startswith("approval_workflow:")
    shown = await _workflow(api, author, workflow_id)
    assert shown.status_code == 200, shown.text
    workflow = shown.json()["data"]
    assert workflow["status"] == "pending"
    assert workflow["post_id"] == post["id"]
    assert workflow["approval_group_id"] == GROUP
    assert workflow["user_id"] == author.wire
    assert workflow["scope_id"] == desk.license
    assert workflow["feedbacks"] == []
    assert workflow["completed_at"] is None
    await _watch(api, desk, post["id"])

    decided = await _feedback(api, approver, workflow_id, "approved", "Ship it")
    assert decided.status_code == 201, decided.text
    data = decided.json()["data"]
    assert data["status"] == "approved"
    assert data["completed_at"] is not None
    assert [(f["user_id"], f["feedback"], f["comment"]) for f in data["feedbacks"]] == [
        (approver.wire, "approved", "Ship it")
    ]
    after = await _post(api, desk, post["id"])
    assert after["status"] == "queued"
    assert after["approval_workflow_id"] == workflow_id
    kinds = sorted(job.kind for job in await _jobs(desk, post["id"]))
    assert publisher.PUBLISH_JOB in kinds  # the publisher was scheduled
    assert len(kinds) == 2  # and the post webhook heard of the change, once


async def test_approving_an_approvals_draft_returns_it_to_draft(
    api: httpx.AsyncClient, desk: Desk
) -> None:
    author, approver = await _people(desk)
    post = await _submitted(api, desk, author, "approvals.draft")
    decided = await _feedback(api, approver, post["approval_workflow_id"], "approved")
    assert decided.status_code == 201, decided.text
    after = await _post(api, desk, post["id"])
    assert after["status"] == "draft"
    assert after["approval_workflow_id"] == post["approval_workflow_id"]
    assert await _jobs(desk, post["id"]) == []  # a draft is not published


async def test_a_post_created_in_approvals_starts_a_workflow(
    api: httpx.AsyncClient, desk: Desk
) -> None:
    author, approver = await _people(desk)
    schema = await make_schema(api, desk.admin)
    post = await make_post(
        api, desk, schema["id"], caller=author, status="approvals.queued", approval_group_id=GROUP
    )
    assert post["approval_workflow_id"] is not None
    decided = await _feedback(api, approver, post["approval_workflow_id"], "approved")
    assert decided.status_code == 201, decided.text
    assert (await _post(api, desk, post["id"]))["status"] == "queued"


async def test_without_approval_post_approve_it_is_403_and_nothing_changes(
    api: httpx.AsyncClient, desk: Desk
) -> None:
    author, _approver = await _people(desk)
    post = await _submitted(api, desk, author)
    workflow_id = post["approval_workflow_id"]
    refused = await _feedback(api, author, workflow_id, "approved")
    assert refused.status_code == 403, refused.text
    assert refused.json()["errors"][0]["key"] == "$.approval_workflow_id"
    assert (await _post(api, desk, post["id"]))["status"] == "approvals.queued"
    workflow = (await _workflow(api, author, workflow_id)).json()["data"]
    assert (workflow["status"], workflow["feedbacks"]) == ("pending", [])


async def test_rejection_sends_the_post_back_to_draft(api: httpx.AsyncClient, desk: Desk) -> None:
    author, approver = await _people(desk)
    post = await _submitted(api, desk, author)
    decided = await _feedback(api, approver, post["approval_workflow_id"], "rejected", "Typo")
    assert decided.status_code == 201, decided.text
    data = decided.json()["data"]
    assert data["status"] == "rejected"
    assert data["feedbacks"][0]["feedback"] == "rejected"
    after = await _post(api, desk, post["id"])
    assert after["status"] == "draft"
    assert after["approval_workflow_id"] == post["approval_workflow_id"]
    assert await _jobs(desk, post["id"]) == []


async def test_a_second_decision_is_409(api: httpx.AsyncClient, desk: Desk) -> None:
    author, approver = await _people(desk)
    post = await _submitted(api, desk, author)
    workflow_id = post["approval_workflow_id"]
    assert (await _feedback(api, approver, workflow_id, "approved")).status_code == 201
    for verdict in ("approved", "rejected"):
        again = await _feedback(api, desk.admin, workflow_id, verdict)
        assert again.status_code == 409, again.text
    assert (await _post(api, desk, post["id"]))["status"] == "queued"
    workflow = (await _workflow(api, approver, workflow_id)).json()["data"]
    assert len(workflow["feedbacks"]) == 1


async def test_of_two_concurrent_decisions_exactly_one_wins(
    api: httpx.AsyncClient, desk: Desk
) -> None:
    author, approver = await _people(desk)
    other = await desk.account.user(("community-manager", desk.license))
    post = await _submitted(api, desk, author)
    workflow_id = post["approval_workflow_id"]
    first, second = await asyncio.gather(
        _feedback(api, approver, workflow_id, "approved"),
        _feedback(api, other, workflow_id, "rejected"),
    )
    assert sorted([first.status_code, second.status_code]) == [201, 409], (
        first.text,
        second.text,
    )
    winner = first if first.status_code == 201 else second
    expected = "queued" if winner is first else "draft"
    assert (await _post(api, desk, post["id"]))["status"] == expected
    async with tenant_session(desk.account.sessions, desk.account.tenant_id) as session:
        count = await session.scalar(
            select(func.count())
            .select_from(ApprovalFeedback)
            .where(ApprovalFeedback.workflow_id == int(workflow_id.split(":")[1]))
        )
    assert count == 1


async def test_a_post_moved_meanwhile_is_409_and_nothing_changes(
    api: httpx.AsyncClient, desk: Desk
) -> None:
    author, approver = await _people(desk)
    post = await _submitted(api, desk, author)
    key = int(post["id"].split(":")[1])
    async with tenant_session(desk.account.sessions, desk.account.tenant_id) as session:
        await session.execute(update(Post).where(Post.id == key).values(status="queued.paused"))
    refused = await _feedback(api, approver, post["approval_workflow_id"], "approved")
    assert refused.status_code == 409, refused.text
    assert (await _post(api, desk, post["id"]))["status"] == "queued.paused"
    workflow = (await _workflow(api, approver, post["approval_workflow_id"])).json()["data"]
    assert (workflow["status"], workflow["feedbacks"]) == ("pending", [])


@pytest.mark.parametrize(("target", "by_admin"), [("draft", False), ("queued", True)])
async def test_a_revert_or_a_bypass_ends_the_workflow(
    api: httpx.AsyncClient, desk: Desk, target: str, by_admin: bool
) -> None:
    author, approver = await _people(desk)
    post = await _submitted(api, desk, author)
    workflow_id = post["approval_workflow_id"]
    mover = desk.admin if by_admin else author
    moved = await api.put(
        f"/api/v5/post/{post['id']}", json={"status": target}, headers=mover.headers
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["data"]["status"] == target
    assert moved.json()["data"]["approval_workflow_id"] is None
    workflow = (await _workflow(api, approver, workflow_id)).json()["data"]
    assert workflow["status"] == "ended"
    assert workflow["completed_at"] is not None
    late = await _feedback(api, approver, workflow_id, "approved")
    assert late.status_code == 409, late.text
    assert (await _post(api, desk, post["id"]))["status"] == target


async def test_a_new_group_replaces_the_pending_workflow(
    api: httpx.AsyncClient, desk: Desk
) -> None:
    author, approver = await _people(desk)
    post = await _submitted(api, desk, author)
    first = post["approval_workflow_id"]
    same = await api.put(
        f"/api/v5/post/{post['id']}",
        json={"status": "approvals.draft", "approval_group_id": GROUP},
        headers=author.headers,
    )
    assert same.json()["data"]["approval_workflow_id"] == first  # same group: kept
    replaced = await api.put(
        f"/api/v5/post/{post['id']}",
        json={"approval_group_id": "approval_group:8"},
        headers=author.headers,
    )
    assert replaced.status_code == 200, replaced.text
    second = replaced.json()["data"]["approval_workflow_id"]
    assert second not in (None, first)
    old = (await _workflow(api, approver, first)).json()["data"]
    assert old["status"] == "ended"
    new = (await _workflow(api, approver, second)).json()["data"]
    assert (new["status"], new["approval_group_id"]) == ("pending", "approval_group:8")
    assert (await _feedback(api, approver, first, "approved")).status_code == 409
    assert (await _feedback(api, approver, second, "approved")).status_code == 201
    assert (await _post(api, desk, post["id"]))["status"] == "draft"


async def test_the_post_list_filters_by_approval_users_and_approvers(
    api: httpx.AsyncClient, desk: Desk
) -> None:
    author, approver = await _people(desk)
    approved = await _submitted(api, desk, author)
    waiting = await _submitted(api, desk, author)
    schema = await make_schema(api, desk.admin)
    untouched = await make_post(api, desk, schema["id"], caller=author)
    assert (
        await _feedback(api, approver, approved["approval_workflow_id"], "approved")
    ).status_code == 201

    async def ids(**params: str) -> set[str]:
        response = await api.get(
            "/api/v5/post/",
            params={"scope_ids": desk.license, **params},
            headers=desk.admin.headers,
        )
        assert response.status_code == 200, response.text
        return {item["id"] for item in response.json()["data"]}

    everything = {approved["id"], waiting["id"], untouched["id"]}
    assert await ids(approval_user_ids=author.wire) == {approved["id"], waiting["id"]}
    assert await ids(approval_user_ids=approver.wire) == {approved["id"]}
    assert await ids(approval_user_ids=desk.admin.wire) == set()
    assert await ids(exclude_approved_by=approver.wire) >= {waiting["id"], untouched["id"]}
    assert approved["id"] not in await ids(exclude_approved_by=approver.wire)
    assert await ids(exclude_approved_by=author.wire) >= everything
    both = await ids(approval_user_ids=author.wire, exclude_approved_by=approver.wire)
    assert both == {waiting["id"]}
    bad = await api.get(
        "/api/v5/post/", params={"approval_user_ids": "post:1"}, headers=desk.admin.headers
    )
    assert bad.status_code == 400, bad.text
    assert bad.json()["errors"][0]["key"] == "$.approval_user_ids"


async def test_the_workflow_list_filters(api: httpx.AsyncClient, desk: Desk) -> None:
    author, approver = await _people(desk)
    approved = await _submitted(api, desk, author)
    waiting = await _submitted(api, desk, author)
    assert (
        await _feedback(api, approver, approved["approval_workflow_id"], "approved")
    ).status_code == 201

    async def ids(**params: str) -> list[str]:
        response = await api.get(
            "/api/v5/approval_workflow/", params=params, headers=approver.headers
        )
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["data"]]

    both = {approved["approval_workflow_id"], waiting["approval_workflow_id"]}
    assert set(await ids(post_ids=f"{approved['id']},{waiting['id']}")) == both
    assert await ids(post_ids=approved["id"], statuses="approved") == [
        approved["approval_workflow_id"]
    ]
    assert await ids(post_ids=approved["id"], statuses="pending") == []
    assert set(await ids(approval_workflow_participant_user_ids=author.wire)) == both
    assert await ids(approval_workflow_participant_user_ids=approver.wire) == [
        approved["approval_workflow_id"]
    ]
    assert set(await ids(scope_ids=desk.license)) >= both
    included = await api.get(
        "/api/v5/approval_workflow/",
        params={"ids": waiting["approval_workflow_id"], "include": "post_id"},
        headers=approver.headers,
    )
    assert [p["id"] for p in included.json()["include"]["post"]] == [waiting["id"]]
    for params in ({"statuses": "maybe"}, {"post_ids": "user:1"}, {"ids": "approval_workflow:x"}):
        bad = await api.get("/api/v5/approval_workflow/", params=params, headers=approver.headers)
        assert bad.status_code == 400, (params, bad.text)


async def test_another_account_cannot_see_or_decide_a_workflow(
    api: httpx.AsyncClient, desk: Desk, make_desk: Any
) -> None:
    author, _approver = await _people(desk)
    post = await _submitted(api, desk, author)
    workflow_id = post["approval_workflow_id"]
    other: Desk = await make_desk()
    assert (await _workflow(api, other.admin, workflow_id)).status_code == 403
    listed = await api.get(
        "/api/v5/approval_workflow/", params={"ids": workflow_id}, headers=other.admin.headers
    )
    assert listed.status_code == 200 and listed.json()["data"] == []
    refused = await _feedback(api, other.admin, workflow_id, "approved")
    assert refused.status_code == 403, refused.text
    filtered = await api.get(
        "/api/v5/post/",
        params={"approval_user_ids": author.wire},
        headers=other.admin.headers,
    )
    assert filtered.json()["data"] == []
    assert (await _post(api, desk, post["id"]))["status"] == "approvals.queued"
    # Someone of this account without a grant in the license does not see it either.
    stranger = await desk.account.user()
    assert (await _workflow(api, stranger, workflow_id)).status_code == 403
    assert (await _feedback(api, stranger, workflow_id, "approved")).status_code == 403


@pytest.mark.parametrize(
    ("path_id", "body", "key"),
    [
        (None, {"feedback": "maybe"}, "$.feedback"),
        (None, {}, "$.feedback"),
        (None, {"feedback": "approved", "comment": 5}, "$.comment"),
        ("approval_workflow:abc", {"feedback": "approved"}, "$.approval_workflow_id"),
        ("post:1", {"feedback": "approved"}, "$.approval_workflow_id"),
    ],
)
async def test_bad_feedback_is_400_naming_the_key(
    api: httpx.AsyncClient,
    desk: Desk,
    path_id: str | None,
    body: dict[str, Any],
    key: str,
) -> None:
    author, approver = await _people(desk)
    post = await _submitted(api, desk, author)
    target = path_id or post["approval_workflow_id"]
    response = await api.post(
        f"/api/v5/approval_workflow/{target}/feedback", json=body, headers=approver.headers
    )
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["key"] == key
    assert (await _post(api, desk, post["id"]))["status"] == "approvals.queued"
    not_json = await api.post(
        f"/api/v5/approval_workflow/{post['approval_workflow_id']}/feedback",
        content=b"{nope",
        headers={**approver.headers, "Content-Type": "application/json"},
    )
    assert not_json.status_code == 400, not_json.text


async def test_deleting_the_post_deletes_its_workflows(api: httpx.AsyncClient, desk: Desk) -> None:
    author, approver = await _people(desk)
    post = await _submitted(api, desk, author)
    deleted = await api.delete(f"/api/v5/post/{post['id']}", headers=desk.admin.headers)
    assert deleted.status_code == 204, deleted.text
    assert (await _workflow(api, approver, post["approval_workflow_id"])).status_code == 403
    gone = await _feedback(api, approver, post["approval_workflow_id"], "approved")
    assert gone.status_code == 403, gone.text
