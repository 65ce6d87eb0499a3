"""The embedded-default bench data set: built into a data dir's SQLite file, served by the app
as it stands (the two scenarios' requests answer with the generated rows), and reused."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from bench.data import Dataset, Plan
from bench.embedded import (
    DB_FILE,
    SCENARIOS,
    EmbeddedBuild,
    EmbeddedResult,
    EmbeddedScenario,
    prepare,
)
from bench.provision import percolate_tokens, perscom_keys
from bench.report import SideResult
from bench.scenarios import PERSCOM_SCOPES, ProvisionContext, by_name
from bench.wrk import WrkResult
from rich.console import Console
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tenantry.core.console import with_sessions
from tenantry.settings import load_settings

PLAN = Plan(rows=2_000, tenants=2)


def _serve(directory: Path, build: EmbeddedBuild) -> dict[str, Any]:
    """Both scenarios' first requests through the app on the built file, with credentials
    made by the bench's own provisioning functions."""
    from tenantry.app import create_app

    settings = load_settings(
        database_url="", data_dir=directory, embedded_worker=False, demo_on_first_start=False
    )
    ctx = ProvisionContext(dataset=build.dataset, env={})
    answers: dict[str, Any] = {}

    async def credentials(sessions: async_sessionmaker[AsyncSession]) -> tuple[str, str]:
        tenant = ctx.tenant_id
        (key,) = await perscom_keys(settings, sessions, [tenant], PERSCOM_SCOPES)
        admin = build.dataset.user_id(tenant, 0)
        (token,) = await percolate_tokens(settings, sessions, tenant, admin, 1)
        return key, token

    async def run() -> None:
        key, token = await with_sessions(settings, credentials)
        headers = {
            "users-list": {"Authorization": f"Bearer {key}", "X-Perscom-Id": str(ctx.tenant_id)},
            "posts-list": {"Authorization": f"Bearer {token}"},
        }
        app = create_app(settings)
        async with LifespanManager(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                for scenario in by_name(list(SCENARIOS)):
                    answer = await client.get(
                        scenario.render(scenario.path, ctx), headers=headers[scenario.name]
                    )
                    assert answer.status_code == 200, answer.text
                    answers[scenario.name] = answer.json()

    asyncio.run(run())
    return answers


def test_the_scaled_data_set_is_what_the_app_serves_and_is_reused(tmp_path: Path) -> None:
    directory = tmp_path / "embedded"
    build = prepare(PLAN, Console(quiet=True), directory=directory)
    assert not build.dataset.reused
    assert build.posts == 2_000  # 1 M posts per 1 M users, scaled with the users

    with sqlite3.connect(directory / DB_FILE) as db:
        users = db.execute("SELECT count(*) FROM users").fetchone()[0]
        (counter,) = db.execute("SELECT value FROM id_counter WHERE name = 'global'").fetchone()
        top = max(
            db.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()[0]
            for table in ("tenants", "users", "user_roles", "scopes", "percolate_posts")
        )
    assert users == PLAN.rows
    assert counter >= top  # the app allocates past every generated id

    answers = _serve(directory, build)
    page = answers["users-list"]
    assert page["meta"]["total"] == PLAN.rows // PLAN.tenants
    assert len(page["data"]) == 15
    assert all(user["rank"]["abbreviation"] for user in page["data"])
    posts = answers["posts-list"]["data"]
    assert posts and {p["status"] for p in posts} <= {"queued", "live"}
    assert all(p["channel_id"] for p in posts)

    again = prepare(PLAN, Console(quiet=True), directory=directory)
    assert again.dataset.reused
    assert again.dataset.facts == build.dataset.facts
    other = prepare(Plan(rows=2_000, tenants=4), Console(quiet=True), directory=directory)
    assert not other.dataset.reused


def _run(requests: int, non_2xx: int = 0) -> WrkResult:
    return WrkResult(requests, 10.0, 0, {"status": non_2xx}, {"p50": 1000.0, "p99": 5000.0})


def test_the_ratio_is_to_postgresql_tenantry_and_an_invalid_run_is_not_judged() -> None:
    build = EmbeddedBuild(Dataset(Plan(rows=100, tenants=2), {}), posts=100)
    (users, posts) = by_name(list(SCENARIOS))
    result = EmbeddedResult(
        build,
        [
            EmbeddedScenario(users, side=SideResult([_run(1_000)]), postgres_rps=250.0),
            EmbeddedScenario(posts, side=SideResult([_run(1_000, 3)]), postgres_rps=100.0),
        ],
    )
    assert result.history() == [
        ("embedded-users-list", 0.4, False),
        ("embedded-posts-list", 1.0, None),
    ]
    table = result.markdown()
    assert "| `users-list` | 100 |" in table and "| 0.40x | **not met** |" in table
    assert "| 1.00x | not judged |" in table
