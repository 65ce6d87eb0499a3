"""The bench floor app answers its routes against a tiny data set (PostgreSQL: it is asyncpg)."""

from __future__ import annotations

import httpx
import pytest
from asgi_lifespan import LifespanManager
from bench.floor import create_app
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.helpers import TEST_DATABASE_URL, TenantFactory

from tenantry.core import migrate
from tenantry.core.identity import service as identity
from tenantry.core.tenancy import tenant_session
from tenantry.settings import Settings

pytestmark = [pytest.mark.anyio, pytest.mark.postgres_only]


async def test_floor_answers_ops_and_users(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    make_tenant: TenantFactory,
) -> None:
    tenant = await make_tenant()
    async with tenant_session(sessions, tenant) as session:
        users = [
            await identity.create_user(session, email=f"floor{i}@example.com", name=f"Floor {i}")
            for i in range(3)
        ]
        # The first user has a PERSCOM profile with a rank; the others have none (left join).
        rank_id = users[0].id + 1_000_000
        await session.execute(
            text(
                'INSERT INTO perscom_ranks (tenant_id, id, name, abbreviation, "order", '
                "created_at, updated_at) VALUES (:t, :id, 'Sergeant', 'SGT', 1, now(), now())"
            ),
            {"t": tenant, "id": rank_id},
        )
        await session.execute(
            text(
                "INSERT INTO perscom_user_profiles (tenant_id, user_id, rank_id, approved) "
                "VALUES (:t, :u, :r, true)"
            ),
            {"t": tenant, "u": users[0].id, "r": rank_id},
        )
    dsn = TEST_DATABASE_URL.replace("postgresql+asyncpg://", "postgresql://", 1)
    app = create_app(dsn, pool_size=2, head=migrate.head_revision(settings))
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://floor") as http:
            assert (await http.get("/healthz")).json() == {"status": "ok"}
            assert (await http.get("/readyz")).json() == {"status": "ready"}
            assert (await http.get("/v1/users")).status_code == 401

            tenant_header = {"X-Perscom-Id": str(tenant)}
            page = (await http.get("/v1/users?limit=2&include=rank", headers=tenant_header)).json()
            assert [row["id"] for row in page["data"]] == [u.id for u in users[:2]]
            assert page["meta"]["total"] == 3
            assert page["meta"]["last_page"] == 2
            ranked, plain = page["data"]
            assert ranked["rank"]["abbreviation"] == "SGT"
            assert ranked["display_name"] == "SGT Floor 0"
            assert ranked["approved"] is True
            assert plain["rank"] is None
            assert plain["rank_id"] is None
            assert plain["approved"] is False
            assert plain["display_name"] == "Floor 1"

            one = await http.get(f"/v1/users/{users[2].id}", headers=tenant_header)
            assert one.json()["data"]["email"] == "floor2@example.com"
            other = await http.get(f"/v1/users/{users[2].id}", headers={"X-Perscom-Id": "0"})
            assert other.status_code == 404

            search = await http.post(
                "/v1/users/search",
                headers=tenant_header,
                json={"filters": [{"field": "name", "operator": "like", "value": "%1"}]},
            )
            assert [row["name"] for row in search.json()["data"]] == ["Floor 1"]
            bad = await http.post(
                "/v1/users/search",
                headers=tenant_header,
                json={"filters": [{"field": "password_hash", "operator": "=", "value": "x"}]},
            )
            assert bad.status_code == 422


async def test_floor_answers_a_users_records(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    make_tenant: TenantFactory,
) -> None:
    tenant = await make_tenant()
    async with tenant_session(sessions, tenant) as session:
        user = await identity.create_user(session, email="rec@example.com", name="Rec Ord")
        base = user.id + 2_000_000
        await session.execute(
            text(
                'INSERT INTO perscom_awards (tenant_id, id, name, "order", created_at, updated_at) '
                "VALUES (:t, :id, 'Good Conduct', 1, now(), now())"
            ),
            {"t": tenant, "id": base},
        )
        await session.execute(
            text(
                'INSERT INTO perscom_ranks (tenant_id, id, name, "order", created_at, updated_at) '
                "VALUES (:t, :id, 'Private', 1, now(), now())"
            ),
            {"t": tenant, "id": base + 1},
        )
        for offset in (2, 3):
            await session.execute(
                text(
                    "INSERT INTO perscom_records_awards (tenant_id, id, user_id, award_id, text, "
                    "created_at, updated_at) VALUES (:t, :id, :u, :a, 'Well done', "
                    "now() + make_interval(mins => :m), now())"
                ),
                {"t": tenant, "id": base + offset, "u": user.id, "a": base, "m": offset},
            )
        await session.execute(
            text(
                "INSERT INTO perscom_records_ranks (tenant_id, id, user_id, rank_id, type, "
                "created_at, updated_at) VALUES (:t, :id, :u, :r, 0, now(), now())"
            ),
            {"t": tenant, "id": base + 4, "u": user.id, "r": base + 1},
        )
    dsn = TEST_DATABASE_URL.replace("postgresql+asyncpg://", "postgresql://", 1)
    app = create_app(dsn, pool_size=2, head=migrate.head_revision(settings))
    headers = {"X-Perscom-Id": str(tenant)}
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://floor") as http:
            listed = (
                await http.get(f"/v1/users/{user.id}/award-records?include=award", headers=headers)
            ).json()
            assert listed["meta"]["total"] == 2
            assert {r["award"]["name"] for r in listed["data"]} == {"Good Conduct"}
            assert listed["data"][0]["label"].startswith("Award Record: ")
            missing = await http.get("/v1/users/1/award-records", headers=headers)
            assert missing.status_code == 404
            shown = (
                await http.get(
                    f"/v1/users/{user.id}?include=rank_records,award_records.award",
                    headers=headers,
                )
            ).json()["data"]
            assert [r["rank_id"] for r in shown["rank_records"]] == [base + 1]
            assert len(shown["award_records"]) == 2
            assert shown["award_records"][0]["award"]["id"] == base
