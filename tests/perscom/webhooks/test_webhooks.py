"""PERSCOM webhooks end to end: registered over ``/v1/webhooks``, announced by the engine's
writes in their own transaction, delivered by a real worker to a real receiver on a
127.0.0.1 socket that checks the ``Signature`` header with the shared secret."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.core.webhooks.test_webhooks import Receiver, eventually, running_worker
from tests.perscom.conftest import KeyFactory, Org, bearer
from tests.perscom.webhooks.conftest import SECRET

from tenantry.core.jobs import Job
from tenantry.core.tenancy import tenant_session
from tenantry.core.webhooks import DELIVERY_JOB, body_signature
from tenantry.perscom.engine.announce import Announcement
from tenantry.perscom.webhooks.dispatch import dispatch
from tenantry.perscom.webhooks.events import EVENTS
from tenantry.settings import Settings

pytestmark = pytest.mark.anyio

Sessions = async_sessionmaker[AsyncSession]
USER_EVENTS = ["user.created", "user.updated", "user.deleted"]


async def register(
    api: httpx.AsyncClient, url: str, events: list[str], **extra: Any
) -> dict[str, Any]:
    response = await api.post(
        "/v1/webhooks", json={"url": url, "events": events, "secret": SECRET, **extra}
    )
    assert response.status_code == 201, response.text
    hook: dict[str, Any] = response.json()["data"]
    return hook


async def delivery_jobs(sessions: Sessions, tenant_id: int) -> list[Job]:
    async with sessions() as session:
        rows = await session.scalars(
            select(Job).where(Job.kind == DELIVERY_JOB, Job.tenant_id == tenant_id).order_by(Job.id)
        )
        return list(rows.all())


async def all_done(sessions: Sessions, tenant_id: int, count: int) -> bool:
    jobs = await delivery_jobs(sessions, tenant_id)
    return len(jobs) == count and all(job.state == "succeeded" for job in jobs)


def bodies(receiver: Receiver) -> list[dict[str, Any]]:
    return [json.loads(request.body) for request in receiver.received]


async def test_create_update_delete_are_delivered_signed(
    api: httpx.AsyncClient,
    org: Org,
    receiver: Receiver,
    private_settings: Settings,
    sessions: Sessions,
) -> None:
    await register(api, receiver.url, USER_EVENTS)
    created = await api.post("/v1/users", json={"name": "Hook Person", "email": "hp@example.com"})
    assert created.status_code == 201, created.text
    user = created.json()["data"]
    updated = await api.patch(f"/v1/users/{user['id']}", json={"name": "Hook Renamed"})
    assert updated.status_code == 200, updated.text
    deleted = await api.delete(f"/v1/users/{user['id']}")
    assert deleted.status_code == 200, deleted.text

    async with running_worker(private_settings, sessions):
        await eventually(lambda: all_done(sessions, org.tenant_id, 3))

    assert receiver.count() == 3
    assert all(request.signature_ok for request in receiver.received)
    assert all(request.method == "POST" for request in receiver.received)
    for request in receiver.received:  # the header is the bare hex HMAC of the raw body
        assert request.headers["Signature"] == body_signature(SECRET, request.body)
        assert request.headers["Content-Type"] == "application/json"
    sent = sorted(bodies(receiver), key=lambda body: USER_EVENTS.index(body["event"]))
    assert [body["event"] for body in sent] == USER_EVENTS
    for body in sent:
        assert set(body) == {"event", "created", "request_id", "trace_id", "data", "changes"}
        assert body["data"]["id"] == user["id"]
    create, update, delete = sent
    assert create["data"]["name"] == "Hook Person" and create["changes"] is None
    assert update["data"]["name"] == "Hook Renamed"
    assert update["changes"]["name"] == "Hook Renamed"
    assert "email" not in update["changes"]
    assert delete["changes"] is None
    assert create["trace_id"] == created.headers["X-Perscom-Trace-Id"]
    assert create["request_id"] == created.headers["X-Perscom-Request-Id"]


async def test_batch_operations_announce_every_row(
    api: httpx.AsyncClient,
    org: Org,
    receiver: Receiver,
    private_settings: Settings,
    sessions: Sessions,
) -> None:
    await register(api, receiver.url, ["user.created"])
    await register(api, receiver.url, ["user.updated", "user.deleted"])
    made = await api.post(
        "/v1/users/batch",
        json={
            "resources": [
                {"name": "Batch One", "email": "b1@example.com"},
                {"name": "Batch Two", "email": "b2@example.com"},
            ]
        },
    )
    assert made.status_code == 200, made.text
    ids = [row["id"] for row in made.json()["data"]]
    changed = await api.patch(
        "/v1/users/batch", json={"resources": {str(i): {"name": f"Renamed {i}"} for i in ids}}
    )
    assert changed.status_code == 200, changed.text
    gone = await api.request("DELETE", "/v1/users/batch", json={"resources": ids})
    assert gone.status_code == 200, gone.text

    async with running_worker(private_settings, sessions):
        await eventually(lambda: all_done(sessions, org.tenant_id, 6))

    seen = sorted((body["event"], body["data"]["id"]) for body in bodies(receiver))
    assert seen == sorted((event, i) for event in USER_EVENTS for i in ids)
    assert all(request.signature_ok for request in receiver.received)
    for body in bodies(receiver):
        if body["event"] == "user.updated":
            assert body["changes"]["name"] == f"Renamed {body['data']['id']}"


async def test_relation_writes_and_records_announce_their_own_event(
    api: httpx.AsyncClient,
    org: Org,
    receiver: Receiver,
    private_settings: Settings,
    sessions: Sessions,
) -> None:
    """A record created under a user (``/users/{id}/award-records``) is an
    ``awardrecord.created``; writes of resources without events announce nothing."""
    await register(api, receiver.url, ["awardrecord.created", "user.created"])
    award = await api.post("/v1/awards", json={"name": "Medal"})
    assert award.status_code == 201, award.text
    record = await api.post(
        f"/v1/users/{org.user_id}/award-records",
        json={"award_id": award.json()["data"]["id"], "text": "For hooks"},
    )
    assert record.status_code == 201, record.text
    async with running_worker(private_settings, sessions):
        await eventually(lambda: all_done(sessions, org.tenant_id, 1))
    [body] = bodies(receiver)
    assert body["event"] == "awardrecord.created"
    assert body["data"]["id"] == record.json()["data"]["id"]
    assert body["data"]["user_id"] == org.user_id


async def test_a_hanging_receiver_is_bounded_by_perscoms_timeout_and_tries(
    api: httpx.AsyncClient, org: Org, receiver: Receiver, sessions: Sessions
) -> None:
    """3 s per request, 3 tries (the job has one reserved claim more, see the core)."""
    hook = await register(api, receiver.url, ["user.created"])
    await api.post(f"/v1/webhooks/{hook['id']}/test")
    [job] = await delivery_jobs(sessions, org.tenant_id)
    assert (job.payload["timeout"], job.payload["attempts"], job.max_attempts) == (3.0, 3, 4)
    assert (job.payload["method"], job.payload["signing"]) == ("POST", "body-hmac")


@pytest.mark.slow
async def test_a_receiver_that_never_answers_fails_after_three_timed_out_tries(
    api: httpx.AsyncClient,
    org: Org,
    receiver: Receiver,
    private_settings: Settings,
    sessions: Sessions,
) -> None:
    hook = await register(api, receiver.url, ["user.created"])
    receiver.default = "hang"
    await api.post(f"/v1/webhooks/{hook['id']}/test")
    async with running_worker(private_settings, sessions):
        await eventually(lambda: all_done(sessions, org.tenant_id, 1), seconds=30)
    assert receiver.count() == 3
    log = (await api.get(f"/v1/webhooks/{hook['id']}/deliveries")).json()["data"]
    assert [(r["attempt"], r["outcome"]) for r in log] == [
        (3, "failure"),
        (2, "retry"),
        (1, "retry"),
    ]
    assert all(r["error"] == "timed out after 3 s" for r in log)
    assert all(2900 <= r["duration_ms"] < 6000 for r in log)


async def test_only_listening_webhooks_get_an_event(
    api: httpx.AsyncClient, org: Org, receiver: Receiver, sessions: Sessions
) -> None:
    await register(api, receiver.url, ["user.deleted"])
    made = await api.post("/v1/users", json={"name": "Quiet", "email": "quiet@example.com"})
    assert made.status_code == 201
    assert await delivery_jobs(sessions, org.tenant_id) == []


async def test_a_get_webhook_gets_the_payload_as_query(
    api: httpx.AsyncClient,
    org: Org,
    receiver: Receiver,
    private_settings: Settings,
    sessions: Sessions,
) -> None:
    await register(api, receiver.url, ["user.created"], method="get")
    made = await api.post("/v1/users", json={"name": "Query Person", "email": "qp@example.com"})
    assert made.status_code == 201
    async with running_worker(private_settings, sessions):
        await eventually(lambda: all_done(sessions, org.tenant_id, 1))
    [request] = receiver.received
    assert request.method == "GET"
    assert "event=user.created" in request.path
    assert "data%5Bname%5D=Query+Person" in request.path
    [job] = await delivery_jobs(sessions, org.tenant_id)
    assert request.headers["Signature"] == body_signature(SECRET, job.payload["body"].encode())


# --- nothing announced that was rolled back -------------------------------------------


async def test_a_write_that_rolls_back_announces_nothing(
    api: httpx.AsyncClient, org: Org, receiver: Receiver, sessions: Sessions
) -> None:
    """The first user of the batch is written, the second refused (the same e-mail): the
    whole transaction rolls back, its announcements with it."""
    await register(api, receiver.url, USER_EVENTS)
    refused = await api.post(
        "/v1/users/batch",
        json={
            "resources": [
                {"name": "Twin A", "email": "twin@example.com"},
                {"name": "Twin B", "email": "twin@example.com"},
            ]
        },
    )
    assert refused.status_code == 422, refused.text
    assert await delivery_jobs(sessions, org.tenant_id) == []
    found = await api.post(
        "/v1/users/search", json={"filters": [{"field": "email", "value": "twin@example.com"}]}
    )
    assert found.json()["data"] == []


async def test_deliveries_enqueued_in_a_rolled_back_transaction_vanish(
    api: httpx.AsyncClient, org: Org, receiver: Receiver, sessions: Sessions
) -> None:
    await register(api, receiver.url, ["user.created"])
    announced = [Announcement("user.created", {"id": 1}, None)]
    with pytest.raises(RuntimeError):
        async with tenant_session(sessions, org.tenant_id) as session:
            assert await dispatch(session, org.tenant_id, announced) == 1
            raise RuntimeError("the write failed after announcing")
    assert await delivery_jobs(sessions, org.tenant_id) == []
    async with tenant_session(sessions, org.tenant_id) as session:
        assert await dispatch(session, org.tenant_id, announced) == 1
    assert len(await delivery_jobs(sessions, org.tenant_id)) == 1


# --- management: test, log, replay, validation ----------------------------------------


async def test_test_event_log_and_replay(
    api: httpx.AsyncClient,
    org: Org,
    receiver: Receiver,
    private_settings: Settings,
    sessions: Sessions,
) -> None:
    hook = await register(api, receiver.url, ["user.created"])
    receiver.script = [500]  # the first try fails, the second succeeds
    queued = await api.post(f"/v1/webhooks/{hook['id']}/test")
    assert queued.status_code == 202, queued.text
    delivery_id = queued.json()["data"]["delivery_id"]
    async with running_worker(private_settings, sessions):
        await eventually(lambda: all_done(sessions, org.tenant_id, 1))
    assert [body["event"] for body in bodies(receiver)] == ["webhook.test", "webhook.test"]
    assert bodies(receiver)[0]["data"]["secret"] is None  # never sent in a payload

    log = await api.get(f"/v1/webhooks/{hook['id']}/deliveries")
    assert log.status_code == 200, log.text
    rows = log.json()["data"]
    assert [(r["attempt"], r["outcome"]) for r in rows] == [(2, "success"), (1, "retry")]
    assert {r["delivery_id"] for r in rows} == {delivery_id}

    replayed = await api.post(f"/v1/webhooks/{hook['id']}/deliveries/{rows[0]['id']}/replay")
    assert replayed.status_code == 202, replayed.text
    async with running_worker(private_settings, sessions):
        await eventually(lambda: all_done(sessions, org.tenant_id, 2))
    assert receiver.count() == 3
    assert receiver.received[2].body == receiver.received[1].body
    assert all(request.signature_ok for request in receiver.received)
    log = (await api.get(f"/v1/webhooks/{hook['id']}/deliveries")).json()["data"]
    assert log[0]["replay_of"] == rows[0]["id"]


async def test_three_tries_then_the_delivery_fails(
    api: httpx.AsyncClient,
    org: Org,
    receiver: Receiver,
    private_settings: Settings,
    sessions: Sessions,
) -> None:
    hook = await register(api, receiver.url, ["user.created"])
    receiver.default = 503
    await api.post(f"/v1/webhooks/{hook['id']}/test")

    async def over() -> bool:
        jobs = await delivery_jobs(sessions, org.tenant_id)
        return len(jobs) == 1 and jobs[0].state == "succeeded"

    async with running_worker(private_settings, sessions):
        await eventually(over)
    assert receiver.count() == 3
    log = (await api.get(f"/v1/webhooks/{hook['id']}/deliveries")).json()["data"]
    assert [(r["attempt"], r["outcome"]) for r in log] == [
        (3, "failure"),
        (2, "retry"),
        (1, "retry"),
    ]


async def test_crud_and_validation(api: httpx.AsyncClient, receiver: Receiver) -> None:
    hook = await register(api, receiver.url, ["user.created"], description="CRM")
    assert (hook["method"], hook["secret"], hook["description"]) == ("post", SECRET, "CRM")
    listed = (await api.get("/v1/webhooks")).json()
    assert [row["id"] for row in listed["data"]] == [hook["id"]]
    assert listed["meta"]["total"] == 1
    changed = await api.put(
        f"/v1/webhooks/{hook['id']}", json={"events": ["user.updated", "webhook.test"]}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["data"]["events"] == ["user.updated", "webhook.test"]
    generated = await api.post(
        "/v1/webhooks", json={"url": receiver.url, "events": ["user.deleted"]}
    )
    assert generated.status_code == 201
    assert len(generated.json()["data"]["secret"]) == 40

    bad = await api.post(
        "/v1/webhooks",
        json={"url": "ftp://x", "events": ["user.exploded"], "method": "put", "secret": "s"},
    )
    assert bad.status_code == 422, bad.text
    assert set(bad.json()["error"]["errors"]) == {"url", "events", "method", "secret"}
    assert (await api.post("/v1/webhooks", json={})).status_code == 422
    assert (await api.post("/v1/webhooks", content=b"[1")).status_code == 400

    gone = await api.delete(f"/v1/webhooks/{hook['id']}")
    assert gone.status_code == 200
    assert (await api.get(f"/v1/webhooks/{hook['id']}")).status_code == 404
    assert (await api.get("/v1/webhooks/99999999999")).status_code == 404
    assert (await api.post("/v1/webhooks/99999999999/test")).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00:ec2::254]/",
        "http://metadata.google.internal./",
    ],
)
async def test_private_and_metadata_destinations_are_refused(
    api: httpx.AsyncClient, url: str
) -> None:
    """Cloud metadata is refused even where the operator allows private addresses."""
    refused = await api.post("/v1/webhooks", json={"url": url, "events": ["user.created"]})
    assert refused.status_code == 422, refused.text
    assert list(refused.json()["error"]["errors"]) == ["url"]


async def test_every_reference_event_is_accepted(
    api: httpx.AsyncClient, receiver: Receiver
) -> None:
    hook = await register(api, receiver.url, list(EVENTS))
    assert len(hook["events"]) == 34


# --- scope and isolation ----------------------------------------------------------------


async def test_webhooks_need_manage_webhook(
    client: httpx.AsyncClient, org: Org, make_key: KeyFactory, receiver: Receiver
) -> None:
    everything_else = [s for s in ("view:user", "create:user", "view:log")]
    _, weak = await make_key(org.tenant_id, everything_else)
    _, strong = await make_key(org.tenant_id, ["manage:webhook"])
    body = {"url": receiver.url, "events": ["user.created"]}
    refused = await client.post("/v1/webhooks", json=body, headers=bearer(weak, org.tenant_id))
    assert refused.status_code == 403
    assert (
        await client.get("/v1/webhooks", headers=bearer(weak, org.tenant_id))
    ).status_code == 403
    made = await client.post("/v1/webhooks", json=body, headers=bearer(strong, org.tenant_id))
    assert made.status_code == 201, made.text
    assert (await client.get("/v1/webhooks")).status_code == 401


async def test_tenants_see_and_reach_only_their_own_webhooks(
    api: httpx.AsyncClient,
    api_b: httpx.AsyncClient,
    org: Org,
    other_org: Org,
    receiver: Receiver,
    sessions: Sessions,
) -> None:
    hook = await register(api, receiver.url, USER_EVENTS)
    other = await register(api_b, receiver.url, USER_EVENTS)
    assert [row["id"] for row in (await api_b.get("/v1/webhooks")).json()["data"]] == [other["id"]]
    for method, path in [
        ("GET", f"/v1/webhooks/{hook['id']}"),
        ("PUT", f"/v1/webhooks/{hook['id']}"),
        ("DELETE", f"/v1/webhooks/{hook['id']}"),
        ("POST", f"/v1/webhooks/{hook['id']}/test"),
        ("GET", f"/v1/webhooks/{hook['id']}/deliveries"),
        ("POST", f"/v1/webhooks/{hook['id']}/deliveries/1/replay"),
    ]:
        response = await api_b.request(method, path, json={"events": ["user.created"]})
        if hook["id"] != other["id"]:
            assert response.status_code == 404, (method, path, response.text)
    assert (await api.get(f"/v1/webhooks/{hook['id']}")).json()["data"]["events"] == USER_EVENTS
    # A's writes go to A's webhooks only.
    made = await api.post("/v1/users", json={"name": "A person", "email": "ap@example.com"})
    assert made.status_code == 201
    assert len(await delivery_jobs(sessions, org.tenant_id)) == 1
    assert await delivery_jobs(sessions, other_org.tenant_id) == []
    async with sessions() as session:
        total = await session.scalar(select(func.count()).where(Job.kind == DELIVERY_JOB))
    assert total == 1
