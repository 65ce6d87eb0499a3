"""The authorization-code dance with plain form posts, then the token and the API (no browser)."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from tests.percolate.support.oauth import (
    TOKEN_URL,
    People,
    exchange,
    form_dance,
    me,
    refresh,
)

from tenantry.percolate.oauth.models import OAuthCode, OAuthToken

pytestmark = pytest.mark.anyio

TOKEN_KEYS = [
    "id",
    "token_type",
    "access_token",
    "refresh_token",
    "expires_in",
    "expires_at",
    "user_id",
    "grant_id",
    "updated_at",
    "authorized_tenant_id",
]


@pytest.mark.parametrize("json_body", [False, True], ids=["form-body", "json-body"])
async def test_code_exchange_refresh_and_api_call(
    http: httpx.AsyncClient, people: People, json_body: bool
) -> None:
    tenant = await people.tenant()
    person = await people.user(tenant, roles=("admin",))
    client = await people.client(tenant)

    redirect = await form_dance(http, client, person, state="opaque/ü value")
    assert redirect["state"] == "opaque/ü value"
    response = await exchange(http, client, redirect["code"], json_body=json_body)

    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    token = response.json()
    assert list(token) == TOKEN_KEYS
    assert token["token_type"] == "bearer"
    assert token["expires_in"] == 2592000
    assert token["id"].startswith("token:")
    assert token["grant_id"].startswith("grant:")
    assert token["user_id"] == f"user:{person.user_id}"
    assert token["authorized_tenant_id"] == f"account:{tenant}"
    expires_at = datetime.fromisoformat(token["expires_at"])
    updated_at = datetime.fromisoformat(token["updated_at"])
    assert token["expires_at"].endswith("+00:00")
    assert (expires_at - updated_at).total_seconds() == 2592000
    assert abs((updated_at - datetime.now(UTC)).total_seconds()) < 60

    profile = await me(http, token["access_token"])
    assert profile.status_code == 200, profile.text
    user = profile.json()["data"]
    assert user["id"] == f"user:{person.user_id}"
    assert user["email"] == person.email

    renewed = await refresh(http, client, token["refresh_token"])
    assert renewed.status_code == 200, renewed.text
    fresh = renewed.json()
    assert list(fresh) == TOKEN_KEYS
    assert fresh["access_token"] != token["access_token"]
    assert fresh["refresh_token"] != token["refresh_token"]
    assert fresh["grant_id"] == token["grant_id"]
    assert (await me(http, fresh["access_token"])).status_code == 200
    assert (await me(http, token["access_token"])).status_code == 401
    # The old refresh token was rotated away.
    again = await refresh(http, client, token["refresh_token"])
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


async def test_denied_consent_redirects_with_access_denied_and_issues_nothing(
    http: httpx.AsyncClient, people: People
) -> None:
    tenant = await people.tenant()
    person = await people.user(tenant)
    client = await people.client(tenant)

    redirect = await form_dance(http, client, person, state="s-1", decision="deny")

    assert redirect["error"] == "access_denied"
    assert redirect["state"] == "s-1"
    assert "code" not in redirect
    assert await people.count(OAuthCode, tenant) == 0
    assert await people.count(OAuthToken, tenant) == 0


async def test_json_token_request_with_client_secret_post(
    http: httpx.AsyncClient, people: People
) -> None:
    tenant = await people.tenant()
    person = await people.user(tenant)
    client = await people.client(tenant)
    code = (await form_dance(http, client, person))["code"]

    response = await http.post(
        TOKEN_URL,
        json={
            "grant_type": "authorization_code",
            "code": code,
            "client_id": client.client_id,
            "client_secret": client.secret,
        },
    )

    assert response.status_code == 200, response.text
    assert response.json()["user_id"] == f"user:{person.user_id}"
