"""A web session ends for every copy of its cookie: on sign-out, on a password reset, on a
second-factor change and on a confirmed email change (``User.session_version``)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.percolate.support.oauth import People, client_for, http, people, percolate_app
from tests.signin import Person, csrf_of, sign_in

from tenantry.core.jobs.model import Job
from tenantry.core.mail_jobs import MAIL_JOB
from tenantry.web.session import SESSION_COOKIE, SessionCodec, WebSession

__all__ = ["http", "people", "percolate_app"]

pytestmark = pytest.mark.anyio


def copy_of(signed_in: httpx.AsyncClient, app: FastAPI) -> httpx.AsyncClient:
    """Another browser holding a copy of the session cookie (a stolen cookie)."""
    thief = client_for(app)
    thief.cookies.set(SESSION_COOKIE, signed_in.cookies[SESSION_COOKIE])
    return thief


async def signed_in(thief: httpx.AsyncClient) -> bool:
    page = await thief.get("/settings")
    return page.status_code == 200


async def test_signing_out_ends_every_copy_of_the_session(
    http: httpx.AsyncClient, people: People, percolate_app: FastAPI
) -> None:
    person = await people.user(await people.tenant())
    await sign_in(http, person)
    async with copy_of(http, percolate_app) as thief:
        assert await signed_in(thief)
        settings_page = await http.get("/settings")
        await http.post("/logout", data={"csrf_token": csrf_of(settings_page.text)})
        assert not await signed_in(thief)
    await sign_in(http, person)  # signing in again works
    assert (await http.get("/settings")).status_code == 200


async def test_a_password_reset_ends_every_session(
    http: httpx.AsyncClient,
    people: People,
    percolate_app: FastAPI,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    person = await people.user(await people.tenant())
    await sign_in(http, person)
    async with copy_of(http, percolate_app) as thief, client_for(percolate_app) as mailbox:
        asked = await mailbox.delete(
            "/api/v5/user/password",
            params={"email": person.email, "account_id": f"account:{person.tenant_id}"},
        )
        assert asked.status_code == 204
        link = urlsplit(await _last_link_to(sessions, person.email))
        form = await mailbox.get(f"{link.path}?{link.query}")
        token = re.search(r'name="token" value="([^"]+)"', form.text)
        assert token is not None
        new_password = "a brand new passphrase"
        done = await mailbox.post(
            link.path,
            data={
                "csrf_token": csrf_of(form.text),
                "token": token.group(1),
                "password": new_password,
                "confirm": new_password,
            },
        )
        assert done.status_code == 200, done.text
        assert not await signed_in(thief)
        assert not await signed_in(http)
        person.password = new_password
        await sign_in(mailbox, person)
        assert await signed_in(mailbox)


async def test_turning_two_factor_on_ends_other_sessions_but_not_this_one(
    http: httpx.AsyncClient, people: People, percolate_app: FastAPI
) -> None:
    person = await people.user(await people.tenant())
    await sign_in(http, person)
    async with copy_of(http, percolate_app) as thief:
        start = await http.get("/settings/two-factor")
        await http.post("/settings/two-factor/begin", data={"csrf_token": csrf_of(start.text)})
        enrol = await http.get("/settings/two-factor")
        seed = re.search(r'id="totp-seed">([A-Z2-7]+)<', enrol.text)
        assert seed is not None
        person.totp_seed = seed.group(1)
        confirmed = await http.post(
            "/settings/two-factor/confirm",
            data={"csrf_token": csrf_of(enrol.text), "code": person.totp()},
        )
        assert confirmed.status_code == 200, confirmed.text
        assert await signed_in(http)
        assert not await signed_in(thief)


async def test_a_cookie_without_the_current_version_is_refused(
    http: httpx.AsyncClient, people: People, percolate_app: FastAPI
) -> None:
    """Even a validly signed cookie is refused when its version is not the user's."""
    person: Person = await people.user(await people.tenant())
    codec = SessionCodec(people.settings.effective_secret_key)
    http.cookies.set(
        SESSION_COOKIE, codec.dumps(WebSession(person.tenant_id, person.user_id, "full", 7))
    )
    assert not await signed_in(http)
    http.cookies.set(
        SESSION_COOKIE, codec.dumps(WebSession(person.tenant_id, person.user_id, "full", 0))
    )
    assert await signed_in(http)


async def _last_link_to(sessions: async_sessionmaker[AsyncSession], address: str) -> str:
    async with sessions() as session:
        jobs = list(await session.scalars(select(Job).where(Job.kind == MAIL_JOB)))
    texts = [job.payload["text"] for job in jobs if address in job.payload["to"]]
    assert texts, "no mail was sent"
    link = re.search(r"https?://\S+", texts[-1])
    assert link is not None
    return link.group(0)
