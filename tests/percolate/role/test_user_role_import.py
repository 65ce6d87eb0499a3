"""User-role CSV import: upload the CSV, a job applies it row by row, per-row results are
readable, a malformed row fails alone; capabilities and isolation; the reader streams."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from tests.percolate.support.accounts import Account, Caller
from tests.percolate.support.library import empty_jobs, upload_file, worker

from tenantry.core.identity.models import User, UserRole
from tenantry.core.jobs import JobHandlers
from tenantry.core.tenancy import tenant_session
from tenantry.percolate.role.user_role_import.jobs import IMPORT_JOB, run_import
from tenantry.percolate.role.user_role_import.rows import lines_of
from tenantry.settings import Settings

pytestmark = pytest.mark.anyio


async def test_import_applies_rows_and_reports_failures(
    api: httpx.AsyncClient,
    account: Account,
    admin: Caller,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    owner_engine: AsyncEngine,
) -> None:
    await empty_jobs(owner_engine)
    lic = await account.scope("license", name="Acme Main")
    existing = await account.user(name="Existing", email="existing@example.org")
    csv = (
        b"email,name,role,scope\r\n"
        b"new.person@example.org,New Person,community-manager,Acme Main\r\n"
        b"existing@example.org,Existing,license-admin,Account\r\n"
        b"not-an-email,Broken,community-manager,Acme Main\r\n"
        b"ghost@example.org,Ghost,no-such-role,Acme Main\r\n"
        b'"quoted, name"@example.org\r\n'
        b"other@example.org,Other,pam-download-share,Nowhere\r\n"
        b"new.person@example.org,New Person,community-manager,Acme Main\r\n"
    )
    upload = await upload_file(api, admin, lic, "roles.csv", csv, content_type="text/csv")
    assert upload["status"] == "ready", upload
    started = await api.post(
        "/api/v5/user_role_import/",
        json={"asset_id": upload["asset_id"], "account_id": account.wire},
        headers=admin.headers,
    )
    assert started.status_code == 201, started.text
    run = started.json()["data"]
    assert run["status"] == "queued" and run["asset_id"] == upload["asset_id"]
    handlers = JobHandlers()
    handlers.register(IMPORT_JOB)(run_import)
    shown: dict[str, Any] = {}
    async with worker(settings, sessions, handlers):
        for _ in range(200):
            shown = (
                await api.get(f"/api/v5/user_role_import/{run['id']}", headers=admin.headers)
            ).json()["data"]
            if shown["status"] in ("complete", "error"):
                break
            await asyncio.sleep(0.05)
    assert shown["status"] == "complete", shown
    assert shown["row_count"] == 7 and shown["created_count"] == 2  # line 8 held already
    assert [e["line"] for e in shown["errors"]] == [4, 5, 6, 7]
    assert "no-such-role" in shown["errors"][1]["message"]
    async with tenant_session(sessions, account.tenant_id) as session:
        person = await session.scalar(select(User).where(User.email == "new.person@example.org"))
        assert person is not None and person.name == "New Person"
        grants = (
            await session.scalars(select(UserRole.scope_id).where(UserRole.user_id == person.id))
        ).all()
        assert grants == [int(lic.split(":")[1])]
        held = (
            await session.scalars(
                select(UserRole.scope_id).where(UserRole.user_id == existing.user_id)
            )
        ).all()
        assert held == [None]


async def test_refusals_capabilities_and_isolation(
    api: httpx.AsyncClient, make_account: Any, account: Account, admin: Caller
) -> None:
    lic = await account.scope("license")
    upload = await upload_file(api, admin, lic, "r.csv", b"email,name,role,scope\n")
    image = await upload_file(api, admin, lic, "r.png", b"\x89PNG\r\n\x1a\nxx")
    path = "/api/v5/user_role_import/"
    manager = await account.user(("license-admin", lic))
    refused = await api.post(path, json={"asset_id": upload["asset_id"]}, headers=manager.headers)
    assert refused.status_code == 403
    not_csv = await api.post(path, json={"asset_id": image["asset_id"]}, headers=admin.headers)
    assert not_csv.status_code in (400, 403)
    bad = await api.post(path, json={"asset_id": "post:1"}, headers=admin.headers)
    assert bad.status_code == 400
    other: Account = await make_account()
    intruder = await other.user(("admin", None))
    theirs = await api.post(path, json={"asset_id": upload["asset_id"]}, headers=intruder.headers)
    assert theirs.status_code == 403
    mine = await api.post(path, json={"asset_id": upload["asset_id"]}, headers=admin.headers)
    assert mine.status_code == 201
    wire = mine.json()["data"]["id"]
    assert (await api.get(f"{path}{wire}", headers=intruder.headers)).status_code == 403
    assert (await api.get(path, headers=intruder.headers)).json()["data"] == []
    wrong_account = await api.post(
        path,
        json={"asset_id": upload["asset_id"], "account_id": other.wire},
        headers=admin.headers,
    )
    assert wrong_account.status_code == 403


async def test_lines_are_streamed() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield "\ufeffemail,name,role,scope\n".encode()
        row = b"a@example.org,A,r,Account\n"
        for _ in range(100_000 // 1000):
            yield row * 999 + row[:10]
            yield row[10:]

    count = 0
    first = ""
    async for line in lines_of(chunks()):
        first = first or line
        count += 1
    assert first == "email,name,role,scope" and count == 1 + 100_000
