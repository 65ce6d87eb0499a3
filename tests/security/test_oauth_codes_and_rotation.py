"""Authorization codes and refresh tokens of both faces' OAuth servers (``core/oauth``):

- PKCE: a code requested with a challenge is redeemed only with its verifier (Percolate:
  S256 only; PERSCOM: S256 and Passport's ``plain``, the default when no method is named);
- a code requested without ``redirect_uri`` is bound to the client's registered URI;
- refresh-token rotation gives exactly one new pair under concurrency, on both engines.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.percolate.support.oauth import (
    TOKEN_URL,
    People,
    client_for,
    exchange,
    form_dance,
    http,
    issued_token,
    people,
    percolate_app,
    refresh,
)
from tests.perscom import oauth_support as perscom_oauth
from tests.signin import csrf_of, query_of, sign_in

from tenantry.settings import Settings

__all__ = ["http", "people", "percolate_app"]

pytestmark = pytest.mark.anyio

EVIL_URI = "https://evil.example/steal"


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


async def redeem(http: httpx.AsyncClient, client: Any, code: str, **extra: str) -> httpx.Response:
    body = {"grant_type": "authorization_code", "code": code, **extra}
    return await http.post(TOKEN_URL, data=body, headers=client.basic())


async def test_percolate_pkce_is_enforced_once_a_challenge_was_sent(
    http: httpx.AsyncClient, people: People
) -> None:
    tenant = await people.tenant()
    person = await people.user(tenant)
    client = await people.client(tenant)
    verifier, challenge = pkce_pair()
    pkce = {"code_challenge": challenge, "code_challenge_method": "S256"}

    code = (await form_dance(http, client, person, **pkce))["code"]
    missing = await redeem(http, client, code)
    assert missing.status_code == 400, missing.text
    assert missing.json()["error"] == "invalid_request"

    code = (await form_dance(http, client, person, **pkce))["code"]
    wrong = await redeem(http, client, code, code_verifier=pkce_pair()[0])
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_grant"

    code = (await form_dance(http, client, person, **pkce))["code"]
    right = await redeem(http, client, code, code_verifier=verifier)
    assert right.status_code == 200, right.text


async def test_percolate_refuses_plain_pkce(http: httpx.AsyncClient, people: People) -> None:
    tenant = await people.tenant()
    person = await people.user(tenant)
    client = await people.client(tenant)
    url = (
        f"/auth/oauth2?response_type=code&client_id={client.client_id}&state=s1"
        "&code_challenge=" + "a" * 43 + "&code_challenge_method=plain"
    )
    await sign_in(http, person, next_path=url)
    refused = await http.get(url)
    assert refused.status_code == 302, refused.text
    assert "error=invalid_request" in refused.headers["location"]


async def test_percolate_code_without_redirect_uri_is_bound_to_the_registered_one(
    http: httpx.AsyncClient, people: People
) -> None:
    tenant = await people.tenant()
    person = await people.user(tenant)
    client = await people.client(tenant)
    code = (await form_dance(http, client, person))["code"]
    stolen = await redeem(http, client, code, redirect_uri=EVIL_URI)
    assert stolen.status_code == 400, stolen.text
    assert stolen.json()["error"] == "invalid_grant"
    code = (await form_dance(http, client, person))["code"]
    fine = await redeem(http, client, code, redirect_uri=client.redirect_uri)
    assert fine.status_code == 200, fine.text
    code = (await form_dance(http, client, person))["code"]
    assert (await exchange(http, client, code)).status_code == 200


async def test_percolate_concurrent_refreshes_give_one_new_pair(
    http: httpx.AsyncClient, people: People, percolate_app: FastAPI
) -> None:
    tenant = await people.tenant()
    person = await people.user(tenant)
    client = await people.client(tenant)
    token = await issued_token(http, client, person)

    async def one() -> int:
        async with client_for(percolate_app) as other:
            return (await refresh(other, client, token["refresh_token"])).status_code

    statuses = await asyncio.gather(*(one() for _ in range(20)))
    assert sorted(statuses).count(200) == 1, statuses
    assert set(statuses) <= {200, 400}


async def test_perscom_code_without_redirect_uri_is_bound_and_pkce_enforced(
    client: httpx.AsyncClient,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    orgs = perscom_oauth.Orgs(settings, sessions)
    tenant = await orgs.tenant()
    person = await orgs.person(tenant)
    app_client = await orgs.client(tenant)

    query = await _perscom_code(client, app_client, person)
    body = app_client.body(grant_type="authorization_code", code=query, redirect_uri=EVIL_URI)
    stolen = await client.post("/oauth/token", json=body)
    assert stolen.status_code in (400, 401), stolen.text
    assert stolen.json()["error"] == "invalid_grant"

    verifier, challenge = pkce_pair()
    code = (
        await perscom_oauth.authorize(
            client, app_client, person, code_challenge=challenge, code_challenge_method="S256"
        )
    )["code"]
    missing = await perscom_oauth.exchange(client, app_client, code)
    assert missing.status_code == 400, missing.text
    code = (
        await perscom_oauth.authorize(
            client, app_client, person, code_challenge=challenge, code_challenge_method="S256"
        )
    )["code"]
    right = await perscom_oauth.exchange(client, app_client, code, code_verifier=verifier)
    assert right.status_code == 200, right.text


@pytest.mark.parametrize("method", ["S256", "plain", None])
async def test_perscom_pkce_each_method_needs_the_right_verifier(
    client: httpx.AsyncClient,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    method: str | None,
) -> None:
    orgs = perscom_oauth.Orgs(settings, sessions)
    tenant = await orgs.tenant()
    person = await orgs.person(tenant)
    app_client = await orgs.client(tenant)
    verifier, s256 = pkce_pair()
    pkce = {"code_challenge": s256 if method == "S256" else verifier}
    if method is not None:
        pkce["code_challenge_method"] = method

    async def code() -> str:
        return (await perscom_oauth.authorize(client, app_client, person, **pkce))["code"]

    missing = await perscom_oauth.exchange(client, app_client, await code())
    assert (missing.status_code, missing.json()["error"]) == (400, "invalid_request")
    malformed = await perscom_oauth.exchange(client, app_client, await code(), code_verifier="x")
    assert (malformed.status_code, malformed.json()["error"]) == (400, "invalid_request")
    other = pkce_pair()[0]
    wrong = await perscom_oauth.exchange(client, app_client, await code(), code_verifier=other)
    assert (wrong.status_code, wrong.json()["error"]) == (400, "invalid_grant")
    if method == "S256":  # the challenge itself is no verifier
        echoed = await perscom_oauth.exchange(client, app_client, await code(), code_verifier=s256)
        assert echoed.status_code == 400, echoed.text
    right = await perscom_oauth.exchange(client, app_client, await code(), code_verifier=verifier)
    assert right.status_code == 200, right.text
    assert (await client.get("/v1/me", headers=_bearer(right.json()))).status_code == 200


async def test_perscom_pkce_refuses_an_unknown_method_and_a_verifier_without_challenge(
    client: httpx.AsyncClient,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    orgs = perscom_oauth.Orgs(settings, sessions)
    tenant = await orgs.tenant()
    person = await orgs.person(tenant)
    app_client = await orgs.client(tenant)
    await perscom_oauth.tokens_for(client, app_client, person)  # signed in from here on
    verifier, challenge = pkce_pair()
    url = perscom_oauth.authorize_url(
        app_client, code_challenge=challenge, code_challenge_method="S512"
    )
    refused = await client.get(url)
    assert refused.status_code == 302, refused.text
    assert query_of(refused.headers["location"])["error"] == "invalid_request"
    plain_code = (await perscom_oauth.authorize(client, app_client, person))["code"]
    unasked = await perscom_oauth.exchange(client, app_client, plain_code, code_verifier=verifier)
    assert (unasked.status_code, unasked.json()["error"]) == (400, "invalid_request")


def _bearer(token: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {token['access_token']}"}


async def test_perscom_concurrent_refreshes_give_one_new_pair(
    client: httpx.AsyncClient,
    app: FastAPI,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    orgs = perscom_oauth.Orgs(settings, sessions)
    tenant = await orgs.tenant()
    person = await orgs.person(tenant)
    app_client = await orgs.client(tenant)
    tokens = await perscom_oauth.tokens_for(client, app_client, person)
    body = app_client.body(grant_type="refresh_token", refresh_token=tokens["refresh_token"])

    async def one() -> int:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
            return (await other.post("/oauth/token", json=body)).status_code

    statuses = await asyncio.gather(*(one() for _ in range(20)))
    assert statuses.count(200) == 1, statuses


async def _perscom_code(
    http: httpx.AsyncClient, app_client: perscom_oauth.Client, person: Any
) -> str:
    """A code requested without ``redirect_uri`` (delivered to the registered default)."""
    url = perscom_oauth.authorize_url(app_client).replace(
        "&redirect_uri=" + _quoted(app_client.redirect_uri), ""
    )
    first = await http.get(url)
    if first.status_code == 303:
        await sign_in(http, person, next_path=url)
        first = await http.get(url)
    assert first.status_code == 200, first.text
    answer = await http.post(url, data={"csrf_token": csrf_of(first.text), "decision": "allow"})
    assert answer.status_code == 302, answer.text
    code: str = query_of(answer.headers["location"])["code"]
    return code


def _quoted(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")
