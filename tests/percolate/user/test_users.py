"""Users: list, create (with a user role), show, update, disable, passwords, reset mail."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.percolate.support.accounts import PASSWORD, Account, Caller

from tenantry.core.jobs.model import Job
from tenantry.core.mail_jobs import MAIL_JOB

pytestmark = pytest.mark.anyio


async def mails_to(sessions: async_sessionmaker[AsyncSession], address: str) -> list[Job]:
    async with sessions() as session:
        jobs = await session.scalars(select(Job).where(Job.kind == MAIL_JOB))
        return [job for job in jobs if address in job.payload["to"]]


async def test_me_and_user_show_the_same_object(api: httpx.AsyncClient, admin: Caller) -> None:
    me = (await api.get("/api/v5/me", headers=admin.headers)).json()["data"]
    shown = (await api.get(f"/api/v5/user/{admin.wire}", headers=admin.headers)).json()
    assert shown == {"data": me, "include": {}}


async def test_create_show_update_disable(api: httpx.AsyncClient, admin: Caller) -> None:
    email = f"new-{uuid.uuid4().hex[:8]}@Example.org"
    created = await api.post(
        "/api/v5/user/",
        json={"email": email, "name": "Grace Hopper", "timezone": "America/New_York"},
        headers=admin.headers,
    )
    assert created.status_code == 201, created.text
    user = created.json()["data"]
    assert user["email"] == email.lower()
    assert user["timezone"] == "America/New_York"
    assert user["active"] is True
    again = await api.post(
        "/api/v5/user/", json={"email": email, "name": "Twin"}, headers=admin.headers
    )
    assert again.status_code == 409
    updated = await api.put(
        f"/api/v5/user/{user['id']}",
        json={"name": "Rear Admiral Hopper", "timezone": "US/Eastern"},
        headers=admin.headers,
    )
    assert updated.status_code == 200
    assert updated.json()["data"]["name"] == "Rear Admiral Hopper"
    assert updated.json()["data"]["email"] == email.lower()
    deleted = await api.delete(f"/api/v5/user/{user['id']}", headers=admin.headers)
    assert deleted.status_code == 204 and deleted.content == b""
    shown = await api.get(f"/api/v5/user/{user['id']}", headers=admin.headers)
    assert shown.json()["data"]["active"] is False
    back = await api.put(f"/api/v5/user/{user['id']}", json={"active": True}, headers=admin.headers)
    assert back.json()["data"]["active"] is True


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ({"email": "not-an-email", "name": "X"}, "$.email"),
        ({"email": "a@example.org", "name": "X", "timezone": "EST"}, "$.timezone"),
        ({"email": "a@example.org", "name": "X", "timezone": "Mars/Olympus"}, "$.timezone"),
        ({"email": "a@example.org"}, "$.name"),
        (
            {"email": "a@example.org", "name": "X", "user_role": {"role_id": "user:1"}},
            "$.user_role.role_id",
        ),
    ],
)
async def test_create_refuses_bad_input_and_writes_nothing(
    api: httpx.AsyncClient, admin: Caller, body: dict[str, object], key: str
) -> None:
    before = (await api.get("/api/v5/user/", headers=admin.headers)).json()["meta"]["total"]
    response = await api.post("/api/v5/user/", json=body, headers=admin.headers)
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["key"] == key
    after = (await api.get("/api/v5/user/", headers=admin.headers)).json()["meta"]["total"]
    assert after == before


async def test_create_with_a_user_role_in_a_license(
    api: httpx.AsyncClient, account: Account, admin: Caller
) -> None:
    lic = await account.scope("license")
    role = await account.role_id("community-manager")
    created = await api.post(
        "/api/v5/user/",
        json={
            "email": f"cm-{uuid.uuid4().hex[:6]}@example.org",
            "name": "CM",
            "user_role": {"role_id": f"role:{role}", "scope_id": lic},
        },
        headers=admin.headers,
    )
    assert created.status_code == 201, created.text
    user_id = created.json()["data"]["id"]
    grants = (await api.get(f"/api/v5/user_role/?user_ids={user_id}", headers=admin.headers)).json()
    assert [(g["role_id"], g["scope_id"]) for g in grants["data"]] == [(f"role:{role}", lic)]
    in_license = await api.get(f"/api/v5/user/?scope_ids={lic}", headers=admin.headers)
    assert user_id in [u["id"] for u in in_license.json()["data"]]
    assert admin.wire in [u["id"] for u in in_license.json()["data"]]  # account admin applies


async def test_failed_user_role_rolls_the_user_back(
    api: httpx.AsyncClient, account: Account, admin: Caller
) -> None:
    email = f"half-{uuid.uuid4().hex[:6]}@example.org"
    response = await api.post(
        "/api/v5/user/",
        json={
            "email": email,
            "name": "Half",
            "user_role": {"role_id": "role:999999999", "scope_id": account.wire},
        },
        headers=admin.headers,
    )
    assert response.status_code == 403
    assert response.json()["errors"][0]["key"] == "$.user_role.role_id"
    retry = await api.post(
        "/api/v5/user/", json={"email": email, "name": "Whole"}, headers=admin.headers
    )
    assert retry.status_code == 201


async def test_scoped_user_admin_sees_only_users_of_their_scopes(
    api: httpx.AsyncClient, account: Account
) -> None:
    lic_a, lic_b = await account.scope("license"), await account.scope("license")
    boss = await account.user(("license-admin", lic_a))
    mine = await account.user(("community-manager", lic_a))
    theirs = await account.user(("community-manager", lic_b))
    listed = (await api.get("/api/v5/user/", headers=boss.headers)).json()["data"]
    assert {u["id"] for u in listed} == {boss.wire, mine.wire}
    assert (await api.get(f"/api/v5/user/{theirs.wire}", headers=boss.headers)).status_code == 403
    renamed = await api.put(
        f"/api/v5/user/{mine.wire}", json={"name": "Mine"}, headers=boss.headers
    )
    assert renamed.status_code == 200
    other = await api.put(f"/api/v5/user/{theirs.wire}", json={"name": "X"}, headers=boss.headers)
    assert other.status_code == 403
    plain = await api.get(f"/api/v5/user/{boss.wire}", headers=mine.headers)
    assert plain.status_code == 403  # a community manager cannot read users
    own = await api.get(f"/api/v5/user/{mine.wire}", headers=mine.headers)
    assert own.status_code == 200


async def test_change_password_checks_the_old_one(api: httpx.AsyncClient, account: Account) -> None:
    me = await account.user(password=PASSWORD)
    wrong = await api.put(
        f"/api/v5/user/{me.wire}/password",
        json={"old_password": "nope", "new_password": "a brand new secret"},
        headers=me.headers,
    )
    assert wrong.status_code == 400
    assert wrong.json()["errors"][0]["key"] == "$.old_password"
    short = await api.put(
        f"/api/v5/user/{me.wire}/password",
        json={"old_password": PASSWORD, "new_password": "short"},
        headers=me.headers,
    )
    assert short.json()["errors"][0]["key"] == "$.new_password"
    done = await api.put(
        f"/api/v5/user/{me.wire}/password",
        json={"old_password": PASSWORD, "new_password": "a brand new secret"},
        headers=me.headers,
    )
    assert done.status_code == 204
    other = await account.user()
    theirs = await api.put(
        f"/api/v5/user/{other.wire}/password",
        json={"old_password": "x", "new_password": "a brand new secret"},
        headers=me.headers,
    )
    assert theirs.status_code == 403


async def test_reset_mail_answers_the_same_and_mails_only_real_users(
    api: httpx.AsyncClient,
    account: Account,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    me = await account.user(password=PASSWORD)
    known = await api.delete("/api/v5/user/password", params={"email": me.email})
    unknown = await api.delete(
        "/api/v5/user/password", params={"email": f"ghost-{uuid.uuid4().hex[:6]}@example.org"}
    )
    assert known.status_code == unknown.status_code == 204
    assert known.content == unknown.content == b""
    mails = await mails_to(sessions, me.email)
    assert len(mails) == 1
    assert re.search(r"/reset-password\?token=\S+", mails[0].payload["text"])
    scoped = await api.delete(
        "/api/v5/user/password", params={"email": me.email, "account_id": "account:999999"}
    )
    assert scoped.status_code == 204
    assert len(await mails_to(sessions, me.email)) == 1


@pytest.mark.parametrize(
    ("params", "key"),
    [
        ({}, "$.email"),
        ({"email": "not an email"}, "$.email"),
        ({"email": "a@b.org", "account_id": "license:1"}, "$.account_id"),
    ],
)
async def test_reset_mail_bad_input(
    api: httpx.AsyncClient, params: dict[str, str], key: str
) -> None:
    response = await api.delete("/api/v5/user/password", params=params)
    assert response.status_code == 400
    assert response.json()["errors"][0]["key"] == key


async def test_reset_mail_is_heavily_rate_limited(api: httpx.AsyncClient) -> None:
    email = f"hammer-{uuid.uuid4().hex[:6]}@example.org"
    statuses = [
        (await api.delete("/api/v5/user/password", params={"email": email})).status_code
        for _ in range(50)
    ]
    assert statuses[:5] == [204] * 5
    assert set(statuses[5:]) == {429}
    last = await api.delete("/api/v5/user/password", params={"email": email})
    assert int(last.headers["Retry-After"]) >= 1
    assert last.json()["errors"][0]["code"] == "rate_limit:exceeded"
