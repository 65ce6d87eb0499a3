"""Tasks and their assignments (§3.4): ``users/{id}/tasks`` with the pivot dates, the
computed ``expired``/``past_due``/``status``, bad dates refused, tenants kept apart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from tests.perscom.conftest import Org
from tests.perscom.factories import create

from tenantry.perscom.resources.tasks import assignment_status

pytestmark = pytest.mark.anyio

NOW = datetime(2025, 6, 1, tzinfo=UTC)
PAST, FUTURE = NOW - timedelta(days=1), NOW + timedelta(days=1)


@pytest.mark.parametrize(
    ("dates", "expired", "past_due", "status"),
    [
        ({}, False, False, "assigned"),
        ({"due_at": FUTURE, "expires_at": FUTURE}, False, False, "assigned"),
        ({"due_at": PAST}, False, True, "past_due"),
        ({"expires_at": PAST, "due_at": PAST}, True, True, "expired"),
        ({"completed_at": PAST, "due_at": FUTURE}, False, False, "complete"),
        ({"completed_at": NOW, "due_at": PAST}, False, True, "complete_past_due"),
        ({"completed_at": NOW, "expires_at": PAST}, True, False, "complete_expired"),
    ],
)
async def test_assignment_status(
    dates: dict[str, datetime], expired: bool, past_due: bool, status: str
) -> None:
    pivot: dict[str, object] = dict(dates)
    assignment_status(pivot, NOW)
    assert (pivot["expired"], pivot["past_due"], pivot["status"]) == (expired, past_due, status)


async def test_user_tasks_with_pivot_dates(api: httpx.AsyncClient, org: Org) -> None:
    made = await api.post(
        "/v1/tasks",
        json={"title": "Read the SOP", "instructions": "<p>All of it</p>", "form_id": 7},
    )
    assert made.status_code == 201, made.text
    task = made.json()["data"]
    assert task["form_id"] == 7
    overdue = (await create(api, "tasks"))["id"]
    person = (await create(api, "users"))["id"]
    attached = await api.post(
        f"/v1/users/{person}/tasks/attach",
        json={
            "resources": {
                str(task["id"]): {"due_at": "2099-01-01T00:00:00Z", "assigned_by_id": org.user_id},
                str(overdue): {"due_at": "2020-01-01T00:00:00Z"},
            }
        },
    )
    assert attached.status_code == 200, attached.text
    listed = await api.get(f"/v1/users/{person}/tasks")
    assert listed.status_code == 200, listed.text
    by_id = {t["id"]: t["pivot"] for t in listed.json()["data"]}
    fresh = by_id[task["id"]]
    assert fresh["assigned_by_id"] == org.user_id
    assert fresh["due_at"] == "2099-01-01T00:00:00.000000Z"
    assert fresh["assigned_at"] is not None and fresh["assigned_at"].endswith("Z")
    assert (fresh["status"], fresh["past_due"], fresh["expired"]) == ("assigned", False, False)
    assert by_id[overdue]["status"] == "past_due"
    done = await api.patch(
        f"/v1/users/{person}/tasks/{overdue}/pivot",
        json={"pivot": {"completed_at": "2019-12-31T00:00:00Z"}},
    )
    assert done.status_code == 200, done.text
    shown = await api.get(f"/v1/users/{person}?include=tasks")
    statuses = {t["id"]: t["pivot"]["status"] for t in shown.json()["data"]["tasks"]}
    assert statuses == {task["id"]: "assigned", overdue: "complete"}
    from_task = await api.get(f"/v1/tasks/{task['id']}?include=users")
    assert [u["id"] for u in from_task.json()["data"]["users"]] == [person]


async def test_bad_task_input(api: httpx.AsyncClient) -> None:
    assert (await api.post("/v1/tasks", json={"description": "No title"})).status_code == 422
    task = (await create(api, "tasks"))["id"]
    person = (await create(api, "users"))["id"]
    refused = await api.post(
        f"/v1/users/{person}/tasks/attach",
        json={"resources": {str(task): {"due_at": "whenever"}}},
    )
    assert refused.status_code == 422, refused.text
    assert (await api.get(f"/v1/users/{person}/tasks")).json()["meta"]["total"] == 0


async def test_tasks_are_isolated(api: httpx.AsyncClient, api_b: httpx.AsyncClient) -> None:
    task = (await create(api, "tasks"))["id"]
    theirs = (await create(api_b, "users"))["id"]
    assert (await api_b.get(f"/v1/tasks/{task}")).status_code == 404
    attach = await api_b.post(f"/v1/users/{theirs}/tasks/attach", json={"resources": [task]})
    assert attach.status_code == 404
    assert (await api_b.get(f"/v1/users/{theirs}/tasks")).json()["data"] == []
    mine = await api.post(f"/v1/users/{theirs}/tasks/attach", json={"resources": [task]})
    assert mine.status_code == 404
