"""The API log: each authenticated ``/v1`` and ``/v2`` exchange stored as the tenant's ``api``
activity, with credentials and secrets masked and bodies capped; listed over
``/v1/activity`` (``view:log``) and pruned after the retention period."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.core.webhooks.test_webhooks import empty_job_queue  # noqa: F401
from tests.perscom.conftest import KeyFactory, Org, bearer

from tenantry.core.base import utcnow
from tenantry.core.jobs import Backoff, Job, JobHandlers, Worker
from tenantry.core.tenancy import tenant_session
from tenantry.perscom import PerscomFace
from tenantry.perscom.activity import service
from tenantry.perscom.activity.masking import MASK
from tenantry.perscom.activity.models import ApiActivity
from tenantry.perscom.activity.writer import PRUNE_JOB
from tenantry.settings import Settings

pytestmark = pytest.mark.anyio

Sessions = async_sessionmaker[AsyncSession]


async def entries(api: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    response = await api.get("/v1/activity", params={"limit": 100, **params})
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data


async def test_each_exchange_is_logged_with_secrets_masked(
    api: httpx.AsyncClient, org: Org
) -> None:
    made = await api.post(
        "/v1/users",
        json={"name": "Logged", "email": "logged@example.com", "password": "hunter2-secret"},
    )
    assert made.status_code == 201, made.text
    listed = await api.get("/v2/users", params={"limit": 1})
    assert listed.status_code == 200
    refused = await api.post("/v1/ranks", json={})
    assert refused.status_code == 422

    shown = await entries(api)
    assert [(e["method"], e["path"], e["status"]) for e in shown[:3]] == [
        ("POST", "/v1/ranks", 422),
        ("GET", "/v2/users", 200),
        ("POST", "/v1/users", 201),
    ]
    post = shown[2]
    assert post["log_name"] == "api" and post["description"] == "POST /v1/users"
    assert post["credential"] == {"kind": "api_key", "id": str(org.key_id)}
    assert post["request"]["headers"]["authorization"] == MASK
    assert post["request"]["headers"]["x-perscom-id"] == str(org.tenant_id)
    assert "hunter2" not in str(post)
    assert '"password":"********"' in post["request"]["body"]
    assert '"name":"Logged"' in post["request"]["body"]
    assert '"email":"logged@example.com"' in post["response"]["body"]
    assert post["response"]["headers"]["content-type"] == "application/json"
    assert post["request_id"] == made.headers["X-Perscom-Request-Id"]
    assert 0 <= post["duration_ms"] < 10_000
    assert shown[1]["query"] == "limit=1"
    assert '"errors"' in shown[0]["response"]["body"]


async def test_webhook_secrets_and_query_keys_are_masked(
    client: httpx.AsyncClient, api: httpx.AsyncClient, org: Org
) -> None:
    await api.post(
        "/v1/webhooks",
        json={
            "url": "http://169.254.169.254/",
            "events": ["user.created"],
            "secret": "s3cr3t-value",
        },
    )
    by_query = await client.get(
        "/v1/ranks", params={"apikey": org.token}, headers={"X-Perscom-Id": str(org.tenant_id)}
    )
    assert by_query.status_code == 200, by_query.text
    shown = await entries(api)
    text = str(shown)
    assert "s3cr3t-value" not in text
    assert org.token not in text
    assert shown[0]["query"] == f"apikey={MASK.replace('*', '%2A')}"


async def test_bodies_are_capped(api: httpx.AsyncClient) -> None:
    medium = "x" * 6000
    huge = "y" * 40_000
    await api.post("/v1/ranks", json={"name": "Capped", "description": medium})
    await api.post("/v1/ranks", json={"name": "Huge", "description": huge})
    huge_entry, medium_entry = (await entries(api))[:2]
    assert huge_entry["request"]["body"].endswith(" bytes, not kept]")
    assert "yyyy" not in str(huge_entry)
    assert len(medium_entry["request"]["body"]) < 4200
    assert medium_entry["request"]["body"].endswith("bytes in all]")


async def test_unauthenticated_requests_are_not_logged(
    client: httpx.AsyncClient, api: httpx.AsyncClient, org: Org
) -> None:
    before = len(await entries(api))
    bad = await client.get(
        "/v1/users", headers={"Authorization": "Bearer nope", "X-Perscom-Id": str(org.tenant_id)}
    )
    assert bad.status_code == 401
    after = await entries(api)
    assert len(after) == before + 1  # only the first /v1/activity call itself
    assert after[0]["path"] == "/v1/activity"


async def test_the_log_needs_view_log(
    client: httpx.AsyncClient, org: Org, make_key: KeyFactory
) -> None:
    _, weak = await make_key(org.tenant_id, ["view:user", "manage:webhook"])
    _, strong = await make_key(org.tenant_id, ["view:log"])
    refused = await client.get("/v1/activity", headers=bearer(weak, org.tenant_id))
    assert refused.status_code == 403
    allowed = await client.get("/v1/activity", headers=bearer(strong, org.tenant_id))
    assert allowed.status_code == 200, allowed.text
    assert allowed.json()["meta"]["total"] >= 1
    assert (
        await client.get(
            "/v1/activity", params={"page": "x"}, headers=bearer(strong, org.tenant_id)
        )
    ).status_code == 422


async def test_tenants_see_only_their_own_log(
    api: httpx.AsyncClient, api_b: httpx.AsyncClient, org: Org, other_org: Org
) -> None:
    await api.get("/v1/users")
    await api_b.get("/v1/ranks")
    mine = await entries(api)
    theirs = await entries(api_b)
    assert {e["credential"]["id"] for e in mine} == {str(org.key_id)}
    assert {e["credential"]["id"] for e in theirs} == {str(other_org.key_id)}
    assert "/v1/ranks" not in {e["path"] for e in mine}


async def test_old_entries_are_pruned_by_the_daily_job(
    app: FastAPI,
    api: httpx.AsyncClient,
    org: Org,
    settings: Settings,
    sessions: Sessions,
    empty_job_queue: None,  # noqa: F811
) -> None:
    await api.get("/v1/users")
    await PerscomFace.runtime(app).activity.flush()
    async with tenant_session(sessions, org.tenant_id) as session:
        session.add(
            ApiActivity(
                method="GET",
                path="/v1/old",
                status=200,
                duration_ms=1,
                created_at=utcnow() - timedelta(days=31),
            )
        )
    # The flush scheduled the tenant's prune for the coming midnight, once.
    async with sessions() as session:
        [job] = (
            await session.scalars(
                select(Job).where(Job.kind == PRUNE_JOB, Job.tenant_id == org.tenant_id)
            )
        ).all()
    assert job.run_at > utcnow() and job.payload == {"retention_days": 30}
    async with sessions() as session, session.begin():
        stored = await session.get(Job, job.id)
        assert stored is not None
        stored.run_at = utcnow()  # fast-forward to midnight

    handlers = JobHandlers()
    handlers.register(PRUNE_JOB)(service.run_prune)
    worker = Worker(settings, sessions, handlers, poll_interval=0.05, backoff=Backoff(0.01, 0.05))
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    try:
        for _ in range(200):
            async with sessions() as session:
                done = await session.get(Job, job.id)
                if done is not None and done.state == "succeeded":
                    break
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await task
    paths = {e["path"] for e in await entries(api)}
    assert "/v1/old" not in paths and "/v1/users" in paths


async def test_oauth_token_exchanges_are_logged_as_the_clients_with_secrets_masked(
    client: httpx.AsyncClient, orgs: Any
) -> None:
    tenant = await orgs.tenant()
    machine = await orgs.client(
        tenant, redirect_uris=(), grant_types=("client_credentials",), scopes=("view:log",)
    )
    exchanged = await client.post(
        "/oauth/token", json=machine.body(grant_type="client_credentials")
    )
    assert exchanged.status_code == 200, exchanged.text
    token = exchanged.json()["access_token"]
    stranger = await client.post(
        "/oauth/token", json={"grant_type": "client_credentials", "client_id": "nobody"}
    )
    assert stranger.status_code == 401

    logged = await client.get("/v1/activity", params={"limit": 100}, headers=bearer(token, tenant))
    assert logged.status_code == 200, logged.text
    oauth = [e for e in logged.json()["data"] if e["log_name"] == "oauth"]
    assert [(e["method"], e["path"], e["status"]) for e in oauth] == [("POST", "/oauth/token", 200)]
    entry = oauth[0]
    assert entry["credential"] == {"kind": "oauth_client", "id": machine.client_id}
    assert machine.secret not in str(entry) and token not in str(entry)
    assert f'"client_id":"{machine.client_id}"' in entry["request"]["body"]


def _entry(path: str) -> dict[str, Any]:
    return {"method": "GET", "path": path, "status": 200, "duration_ms": 1}


async def test_one_flush_stores_each_tenants_entries_as_that_tenants(
    sessions: Sessions, settings: Settings
) -> None:
    """Several tenants' entries share one transaction, each under its own tenant; a tenant
    that cannot take its entries (gone meanwhile) loses only its own."""
    from tenantry.core.identity import service as identity
    from tenantry.perscom.activity.writer import ActivityWriter

    async with sessions() as session, session.begin():
        first = (await identity.create_tenant(session, "Log One")).id
        second = (await identity.create_tenant(session, "Log Two")).id
    writer = ActivityWriter(sessions, retention_days=30)
    for tenant_id in (first, second, first):
        writer.add(tenant_id, _entry(f"/v1/users/{tenant_id}"))
    assert await writer.flush() == 3
    writer.add(first, _entry("/v1/ranks"))
    writer.add(2**62, _entry("/v1/awards"))  # no such tenant: its row breaks the batch
    writer.add(second, _entry("/v1/ranks"))
    assert await writer.flush() == 2
    await writer.close()
    for tenant_id, expected in ((first, 3), (second, 2)):
        async with tenant_session(sessions, tenant_id) as session:
            rows = (await session.execute(select(ApiActivity))).scalars().all()
        assert len(rows) == expected
        assert {row.tenant_id for row in rows} == {tenant_id}
        assert all(row.path.endswith((str(tenant_id), "/ranks")) for row in rows)


async def test_entries_past_the_limit_wait_for_the_flush_under_way(
    sessions: Sessions, settings: Settings
) -> None:
    """Entries that arrive while a flush is storing go into the next flush, which starts when
    the buffer is full again: every flush but the closing one holds at least ``max_pending``
    entries, however fast they come (one transaction per entry past the limit would
    be a flush storm)."""
    from collections import Counter

    from tenantry.core.identity import service as identity
    from tenantry.perscom.activity.writer import ActivityWriter

    async with sessions() as session, session.begin():
        tenant_id = (await identity.create_tenant(session, "Log Burst")).id
    writer = ActivityWriter(sessions, retention_days=30, delay=60.0, max_pending=5)
    for number in range(60):
        writer.add(tenant_id, _entry(f"/v1/users/{number}"))
        await asyncio.sleep(0.001)  # a flush under way goes on meanwhile
    await writer.close()
    async with tenant_session(sessions, tenant_id) as session:
        rows = (await session.execute(select(ApiActivity))).scalars().all()
    assert len(rows) == 60
    # Each flush stamps its rows with one time: the batches, in the order they were stored.
    batches = [size for _, size in sorted(Counter(row.created_at for row in rows).items())]
    assert len(batches) > 1, batches  # the limit started flushes before close
    assert all(size >= 5 for size in batches[:-1]), batches
