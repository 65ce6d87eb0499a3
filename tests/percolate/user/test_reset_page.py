"""The reset link lands on a page that sets a new password, once."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.percolate.support.accounts import PASSWORD, Account
from tests.percolate.support.oauth import csrf_of
from tests.percolate.user.test_users import mails_to

from tenantry.core.identity.models import User
from tenantry.core.identity.passwords import verify_password
from tenantry.core.tenancy import tenant_session

pytestmark = pytest.mark.anyio


async def test_reset_link_sets_a_new_password_once(
    api: httpx.AsyncClient, account: Account, sessions: async_sessionmaker[AsyncSession]
) -> None:
    me = await account.user(password=PASSWORD)
    asked = await api.delete(
        "/api/v5/user/password", params={"email": me.email, "account_id": account.wire}
    )
    assert asked.status_code == 204
    (mail,) = await mails_to(sessions, me.email)
    match = re.search(r"https?://[^/\s]+(/reset-password\?token=\S+)", mail.payload["text"])
    assert match
    link = match.group(1)
    page = await api.get(link)
    assert page.status_code == 200 and "New password" in page.text
    token = link.split("token=", 1)[1]
    mismatch = await api.post(
        "/reset-password",
        data={
            "csrf_token": csrf_of(page.text),
            "token": token,
            "password": "a" * 12,
            "confirm": "b" * 12,
        },
    )
    assert mismatch.status_code == 400 and "differ" in mismatch.text
    done = await api.post(
        "/reset-password",
        data={
            "csrf_token": csrf_of(page.text),
            "token": token,
            "password": "a fresh long password",
            "confirm": "a fresh long password",
        },
    )
    assert done.status_code == 200, done.text
    assert f"account={account.tenant_id}" in done.text
    async with tenant_session(sessions, account.tenant_id) as session:
        user = await session.get(User, (account.tenant_id, me.user_id))
        assert user is not None
        assert verify_password("a fresh long password", user.password_hash)[0]
    again = await api.get(link)
    assert again.status_code == 400 and "expired" in again.text
    forged = await api.get("/reset-password?token=forged")
    assert forged.status_code == 400
    no_csrf = await api.post(
        "/reset-password", data={"token": token, "password": "x" * 12, "confirm": "x" * 12}
    )
    assert no_csrf.status_code == 403
    assert no_csrf.headers["content-type"].startswith("text/html")
