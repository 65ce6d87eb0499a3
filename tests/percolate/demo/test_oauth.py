"""The demo seeder registers a client and prints a curl whose token works."""

from __future__ import annotations

import re
import shlex

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.percolate.support.oauth import People

from tenantry.percolate.demo.oauth import seed_demo
from tenantry.settings import Settings

pytestmark = pytest.mark.anyio


async def test_seed_demo_prints_a_working_curl(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    people: People,
    http: httpx.AsyncClient,
) -> None:
    tenant = await people.tenant("Demo")
    admin = await people.user(tenant, roles=("admin",))

    lines = await seed_demo(settings, sessions, tenant, admin.user_id)

    curl = next(line for line in lines if "curl" in line)
    assert "{base}/api/v5/me" in curl
    header = shlex.split(curl.strip())[2]
    answer = await http.get("/api/v5/me", headers={"Authorization": header.split(": ", 1)[1]})
    assert answer.status_code == 200
    assert answer.json()["data"]["id"] == f"user:{admin.user_id}"
    assert any(re.search(r"client_id=client:\d+&state=", line) for line in lines)
