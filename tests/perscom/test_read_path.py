"""The read path: on PostgreSQL reads run on a read-only driver connection carrying the
tenant's row-level-security setting; writes use tenant_session."""

from __future__ import annotations

from contextlib import AsyncExitStack

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from tests.perscom.conftest import Org

from tenantry.core.errors import ServiceUnavailable
from tenantry.core.resources.sql import AlchemyDatabase, AsyncpgDatabase
from tenantry.perscom import PerscomFace

pytestmark = pytest.mark.anyio


def _request(org: Org) -> Request:
    headers = [(k.lower().encode(), v.encode()) for k, v in org.headers.items()]
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/v1/users",
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 1),
    }
    return Request(scope)


async def _terminate(owner_engine: AsyncEngine, pids: list[int]) -> None:
    """End these database sessions as a database restart would."""
    async with owner_engine.connect() as admin:
        for pid in pids:
            await admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})


@pytest.mark.postgres_only
async def test_reads_carry_the_tenant_setting_and_are_read_only(app: FastAPI, org: Org) -> None:
    gate = PerscomFace.runtime(app).gate
    async with gate.open(_request(org), writing=False) as call:
        assert isinstance(call.db, AsyncpgDatabase)
        setting = await call.db.scalar(text("SELECT current_setting('app.tenant_id', true)"))
        read_only = await call.db.scalar(text("SHOW transaction_read_only"))
        with pytest.raises(RuntimeError):
            _ = call.session
    assert setting == str(org.tenant_id)
    assert read_only == "on"


async def test_writes_run_in_the_tenant_session(app: FastAPI, org: Org) -> None:
    gate = PerscomFace.runtime(app).gate
    async with gate.open(_request(org), writing=True) as call:
        assert isinstance(call.db, AlchemyDatabase)
        assert call.session.info["tenant_id"] == org.tenant_id


@pytest.mark.postgres_only
async def test_a_failed_read_leaves_the_pooled_connection_clean(
    api: httpx.AsyncClient, app: FastAPI, org: Org
) -> None:
    gate = PerscomFace.runtime(app).gate
    with pytest.raises(ZeroDivisionError):
        async with gate.open(_request(org), writing=False):
            raise ZeroDivisionError
    for _ in range(30):  # every pooled connection is still usable, none left in a transaction
        assert (await api.get("/v1/users")).status_code == 200


@pytest.mark.parametrize("value", ["abc\\", "%\\", "\\\\", "a\\%"])
async def test_backslashes_in_like_patterns_never_fail(api: httpx.AsyncClient, value: str) -> None:
    for body in (
        {"filters": [{"field": "name", "operator": "like", "value": value}]},
        {"search": {"value": value}},
    ):
        response = await api.post("/v1/users/search", json=body)
        assert response.status_code == 200, response.text


@pytest.mark.postgres_only
async def test_a_lost_connection_is_a_503_and_is_replaced(
    api: httpx.AsyncClient, app: FastAPI, org: Org, owner_engine: AsyncEngine
) -> None:
    gate = PerscomFace.runtime(app).gate
    with pytest.raises(ServiceUnavailable):
        async with gate.open(_request(org), writing=False) as call:
            await _terminate(owner_engine, [await call.db.scalar(text("SELECT pg_backend_pid()"))])
            await call.db.scalar(text("SELECT 1"))
    for _ in range(30):
        assert (await api.get("/v1/users")).status_code == 200


@pytest.mark.postgres_only
async def test_connections_that_died_in_the_pool_are_replaced(
    api: httpx.AsyncClient, app: FastAPI, org: Org, owner_engine: AsyncEngine
) -> None:
    """No pre-ping: a read finding its pooled connection dead retries on a fresh one.

    Reads run on the read pool only (``tenantry.core.reads``), so that is where connections
    are killed; the app is shared by the session's tests, and its engine is left alone."""
    reads = app.state.platform.reads
    pids = []
    async with AsyncExitStack() as stack:  # hold several pooled connections at once
        for _ in range(5):
            reader = await stack.enter_async_context(reads.connection(org.tenant_id))
            pids.append(await reader.fetchval("SELECT pg_backend_pid()"))
    await _terminate(owner_engine, pids)
    for _ in range(30):
        assert (await api.get("/v1/users")).status_code == 200


@pytest.mark.postgres_only
async def test_writes_after_the_engines_idle_connections_died_recover_at_once(
    api: httpx.AsyncClient, app: FastAPI, owner_engine: AsyncEngine
) -> None:
    """Reads no longer pass through the engine's pool, so the first write may be the one to
    find its idle connections dead (after a database restart): that write is a 503 (the
    client retries), SQLAlchemy drops every connection of that generation, and the next
    writes succeed."""
    engine = app.state.platform.engine
    async with AsyncExitStack() as stack:  # hold several pooled connections at once
        held = [await stack.enter_async_context(engine.connect()) for _ in range(5)]
        pids = [await c.scalar(text("SELECT pg_backend_pid()")) for c in held]
        for connection in held:
            await connection.commit()
    await _terminate(owner_engine, pids)
    statuses = [
        (await api.post("/v1/ranks", json={"name": f"Rank {i}"})).status_code for i in range(8)
    ]
    assert statuses.count(503) <= 1, statuses
    assert set(statuses) <= {201, 503}, statuses
    assert statuses[-1] == 201
