"""One identity behind two faces: a PERSCOM roster permission must not become a takeover.

The chain the red team ran: a PERSCOM key with ``update:user`` changes the tenant admin's
email, Percolate's password reset mails the link to the new address, the attacker signs in
as the admin. Each link is checked here, end to end through the app.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.percolate.support.accounts import Account, Caller, account, admin, make_account
from tests.signin import csrf_of

from tenantry.core.identity import service as identity
from tenantry.core.identity.models import User
from tenantry.core.jobs.model import Job
from tenantry.core.mail_jobs import MAIL_JOB
from tenantry.core.tenancy import tenant_session
from tenantry.perscom import PerscomFace
from tenantry.perscom.apikeys import ApiKeyIssuer
from tenantry.settings import Settings

__all__ = ["account", "admin", "make_account"]

pytestmark = pytest.mark.anyio

ATTACKER = "attacker@evil.example"


@pytest.fixture(autouse=True)
async def fresh_rate_limits(app: FastAPI) -> None:
    await app.state.platform.limiter.storage.reset()


@dataclass
class RosterKey:
    headers: dict[str, str]


@pytest.fixture
async def roster_key(
    app: FastAPI, settings: Settings, sessions: async_sessionmaker[AsyncSession], account: Account
) -> RosterKey:
    """A PERSCOM key of ``account`` that may edit and delete users (and nothing else)."""
    issuer = ApiKeyIssuer(PerscomFace.runtime(app).keys, settings)
    async with tenant_session(sessions, account.tenant_id) as session:
        issued = await issuer.issue(
            session,
            account.tenant_id,
            name="roster sync",
            scopes=["view:user", "update:user", "delete:user"],
        )
    return RosterKey(
        {
            "Authorization": f"Bearer {issued.token}",
            "Accept": "application/json",
            "X-Perscom-Id": str(account.tenant_id),
        }
    )


async def email_of(sessions: async_sessionmaker[AsyncSession], tenant_id: int, user_id: int) -> str:
    async with tenant_session(sessions, tenant_id) as session:
        user = await session.get(User, (tenant_id, user_id))
        assert user is not None
        return user.email


async def mails_to(sessions: async_sessionmaker[AsyncSession], address: str) -> list[Job]:
    async with sessions() as session:
        jobs = await session.scalars(select(Job).where(Job.kind == MAIL_JOB))
        return [job for job in jobs if address in job.payload["to"]]


async def test_a_perscom_key_cannot_take_over_the_admin(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    account: Account,
    admin: Caller,
    roster_key: RosterKey,
) -> None:
    attacker = f"attacker-{uuid.uuid4().hex[:8]}@evil.example"
    taken = await client.put(
        f"/v2/users/{admin.user_id}", json={"email": attacker}, headers=roster_key.headers
    )
    assert taken.status_code == 403, taken.text
    assert "permissions" in taken.json()["error"]["message"]
    assert await email_of(sessions, account.tenant_id, admin.user_id) == admin.email

    reset = await client.delete(
        "/api/v5/user/password", params={"email": attacker, "account_id": account.wire}
    )
    assert reset.status_code == 204
    assert await mails_to(sessions, attacker) == []

    deleted = await client.delete(f"/v2/users/{admin.user_id}", headers=roster_key.headers)
    assert deleted.status_code == 403, deleted.text
    assert (await client.get("/api/v5/me", headers=admin.headers)).status_code == 200


async def test_a_user_with_any_percolate_role_is_protected_too(
    client: httpx.AsyncClient, account: Account, roster_key: RosterKey
) -> None:
    editor = await account.user(("community-manager", None), name="Cam Manager")
    changed = await client.put(
        f"/v2/users/{editor.user_id}",
        json={"email": f"x-{uuid.uuid4().hex[:8]}@evil.example"},
        headers=roster_key.headers,
    )
    assert changed.status_code == 403, changed.text
    assert (
        await client.delete(f"/v2/users/{editor.user_id}", headers=roster_key.headers)
    ).status_code == 403


async def test_the_key_still_manages_the_roster(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    account: Account,
    admin: Caller,
    roster_key: RosterKey,
) -> None:
    async with tenant_session(sessions, account.tenant_id) as session:
        soldier = await identity.create_user(
            session, email=f"pvt-{uuid.uuid4().hex[:8]}@example.org", name="Private Ryan"
        )
        soldier_id = soldier.id
    new_email = f"ryan-{uuid.uuid4().hex[:8]}@example.org"
    moved = await client.put(
        f"/v2/users/{soldier_id}", json={"email": new_email}, headers=roster_key.headers
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["data"]["email"] == new_email
    renamed = await client.put(
        f"/v2/users/{admin.user_id}",
        json={"name": "Ada Renamed", "email": admin.email},
        headers=roster_key.headers,
    )
    assert renamed.status_code == 200, renamed.text
    gone = await client.delete(f"/v2/users/{soldier_id}", headers=roster_key.headers)
    assert gone.status_code == 200, gone.text


async def test_an_email_change_waits_for_the_new_address(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    account: Account,
) -> None:
    member = await account.user(name="Mo Member")
    new_email = f"mo-{uuid.uuid4().hex[:8]}@example.org"
    asked = await client.put(
        f"/api/v5/user/{member.wire}", json={"email": new_email}, headers=member.headers
    )
    assert asked.status_code == 200, asked.text
    assert asked.json()["data"]["email"] == member.email
    assert await email_of(sessions, account.tenant_id, member.user_id) == member.email
    notices = await mails_to(sessions, member.email)
    assert [job.payload["subject"] for job in notices] == ["Your sign-in email is about to change"]
    (confirmation,) = await mails_to(sessions, new_email)
    link = re.search(r"https?://\S+", confirmation.payload["text"])
    assert link is not None
    path = urlsplit(link.group(0))
    page = await client.get(f"{path.path}?{path.query}")
    assert page.status_code == 200, page.text
    assert await email_of(sessions, account.tenant_id, member.user_id) == member.email
    token = re.search(r'name="token" value="([^"]+)"', page.text)
    assert token is not None
    form = {"csrf_token": csrf_of(page.text), "token": token.group(1)}
    done = await client.post(path.path, data=form)
    assert done.status_code == 200, done.text
    assert await email_of(sessions, account.tenant_id, member.user_id) == new_email
    again = await client.post(path.path, data=form)
    assert again.status_code == 400


async def test_a_forged_or_stale_confirmation_link_changes_nothing(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/settings/email/confirm", params={"token": "not-a-token"})
    assert page.status_code == 400
    assert "expired" in page.text
