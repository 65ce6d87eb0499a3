"""A bulk write leaves fresh planner statistics: the list right after it uses the tenant index
planned for the tenant's real size.

The users table is first put back in its never-analyzed state (no ``pg_statistic`` rows,
``reltuples`` -1) with autovacuum off for it, so only the batch create itself can have
analyzed it. The list's own SQL is captured on the app's connections and explained there,
as the app role with the tenant's row-level-security setting.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.perscom.conftest import Org
from tests.planner import forget_statistics, statistics_rows

from tenantry.core.analyze import BULK_ROWS
from tenantry.core.platform import Platform

pytestmark = [pytest.mark.anyio, pytest.mark.postgres_only]

TABLES = ("users", "perscom_user_profiles")


@pytest.fixture
async def never_analyzed(owner_engine: AsyncEngine) -> AsyncIterator[None]:
    async with owner_engine.begin() as conn:
        for table in TABLES:
            await forget_statistics(conn, table)
            await conn.execute(
                text("UPDATE pg_class SET reltuples = -1 WHERE oid = CAST(:t AS regclass)"),
                {"t": table},
            )
    yield
    async with owner_engine.begin() as conn:
        for table in TABLES:
            await conn.execute(text(f"ALTER TABLE {table} RESET (autovacuum_enabled)"))


@pytest.fixture
def captured_sql(app: FastAPI) -> Iterator[list[tuple[str, tuple[Any, ...]]]]:
    """Every statement the app's pooled asyncpg connections (the engine's and the read
    pool's) run while the test lasts."""
    platform: Platform = app.state.platform
    seen: list[tuple[str, tuple[Any, ...]]] = []
    hooked: list[Any] = []

    def record(logged: Any) -> None:
        seen.append((logged.query, tuple(logged.args or ())))

    def on_checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        driver = dbapi_connection.driver_connection
        if driver not in hooked:
            driver.add_query_logger(record)
            hooked.append(driver)

    reads = platform.reads
    assert reads is not None
    checkout = reads.connection

    @asynccontextmanager
    async def logged(tenant_id: int) -> AsyncIterator[Any]:
        async with checkout(tenant_id) as driver:
            if driver not in hooked:
                driver.add_query_logger(record)
                hooked.append(driver)
            yield driver

    event.listen(platform.engine.sync_engine, "checkout", on_checkout)
    reads.connection = logged  # type: ignore[method-assign]
    yield seen
    reads.connection = checkout  # type: ignore[method-assign]
    event.remove(platform.engine.sync_engine, "checkout", on_checkout)
    for driver in hooked:
        driver.remove_query_logger(record)


def _scans(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _scans(child)


@pytest.mark.usefixtures("never_analyzed")
async def test_batch_create_of_1000_users_then_list_uses_the_tenant_index(
    app: FastAPI,
    api: httpx.AsyncClient,
    org: Org,
    owner_engine: AsyncEngine,
    captured_sql: list[tuple[str, tuple[Any, ...]]],
) -> None:
    assert await statistics_rows(owner_engine, "users") == 0
    stamp = uuid.uuid4().hex[:8]
    people = [{"name": f"Soldier {i}", "email": f"s{i}.{stamp}@example.org"} for i in range(1000)]
    assert len(people) >= BULK_ROWS
    created = await api.post("/v1/users/batch", json={"resources": people})
    assert created.status_code == 200, created.text
    assert len(created.json()["data"]) == 1000

    # Analyzed by the batch create itself (autovacuum is off for these tables).
    assert await statistics_rows(owner_engine, "users") > 0
    assert await statistics_rows(owner_engine, "perscom_user_profiles") > 0

    captured_sql.clear()
    listed = await api.get("/v1/users")
    assert listed.status_code == 200, listed.text
    assert listed.json()["data"]
    queries = [(q, args) for q, args in captured_sql if "FROM users" in q and "LIMIT" in q]
    assert queries, [q for q, _ in captured_sql]
    query, args = queries[0]

    platform: Platform = app.state.platform
    async with platform.engine.connect() as conn:
        driver = (await conn.get_raw_connection()).driver_connection
        async with driver.transaction(readonly=True):
            await driver.fetchval(
                "SELECT set_config('app.tenant_id', $1, true)", str(org.tenant_id)
            )
            raw = await driver.fetchval(f"EXPLAIN (FORMAT JSON) {query}", *args)
    plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]
    # The page (LIMIT) is read through the tenant index, planned for the tenant's real size.
    # Without statistics the planner guesses 1 row for the tenant and nests the page inside
    # a loop over it: the same index, run once per user.
    pages = [node for node in _scans(plan) if node["Node Type"] == "Limit"]
    page_scans = [n for page in pages for n in _scans(page) if n.get("Relation Name") == "users"]
    assert page_scans, plan
    assert {node.get("Index Name") for node in page_scans} == {"pk_users"}, plan
    assert all(node["Plan Rows"] >= 900 for node in page_scans), plan
    loops = [node for node in _scans(plan) if node["Node Type"] == "Nested Loop"]
    assert not any(page is inner["Plans"][1] for inner in loops for page in pages), (
        "the page must not be re-run per outer row"
    )


async def test_a_small_batch_leaves_statistics_to_autovacuum(
    api: httpx.AsyncClient, owner_engine: AsyncEngine, never_analyzed: None
) -> None:
    """Below the threshold nothing is analyzed: small writes must not pay for ANALYZE."""
    stamp = uuid.uuid4().hex[:8]
    people = [{"name": f"P {i}", "email": f"p{i}.{stamp}@example.org"} for i in range(3)]
    created = await api.post("/v1/users/batch", json={"resources": people})
    assert created.status_code == 200, created.text
    assert await statistics_rows(owner_engine, "users") == 0
