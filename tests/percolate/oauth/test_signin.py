"""POST /auth/v5/authorize/: the first-party sign-in of the vendor's Java SDK, then its
code exchange exactly as the SDK sends it (JSON, no redirect_uri, no client_id)."""

from __future__ import annotations

import httpx
import pytest
from tests.percolate.support.oauth import TOKEN_URL, Client, People, Person

pytestmark = pytest.mark.anyio

AUTHORIZE = "/auth/v5/authorize/"
SDK = {"User-Agent": "percolate-java-sdk-0.1", "Content-Type": "application/json; charset=UTF-8"}


def login_body(person: Person, client: Client, **extra: str) -> dict[str, object]:
    return {
        "email": person.email,
        "password": person.password,
        "type": "token",
        "ext": {"client_id": client.client_id},
        **extra,
    }


async def test_sdk_login_then_token_then_me(http: httpx.AsyncClient, people: People) -> None:
    tenant = await people.tenant()
    person, client = await people.user(tenant), await people.client(tenant)
    signed = await http.post(
        AUTHORIZE,
        json=login_body(person, client),
        headers={**SDK, "Authorization": f"Client-ID {client.client_id}"},
    )
    assert signed.status_code == 200, signed.text
    body = signed.json()
    assert body["user_id"] == f"user:{person.user_id}" and body["type"] == "token"
    assert body["id"].startswith("authorize:") and isinstance(body["updated_at"], str)
    assert body["ext"]["client_id"] == client.client_id
    assert body["ext"]["callback_url"] == client.redirect_uri
    code = body["ext"]["code"]
    token = await http.post(
        TOKEN_URL,
        json={"code": code, "grant_type": "authorization_code"},
        headers={**SDK, **client.basic()},
    )
    assert token.status_code == 200, token.text
    access = token.json()["access_token"]
    assert token.json()["authorized_tenant_id"] == f"account:{tenant}"
    me = await http.get("/api/v5/me", headers={"Authorization": f"Bearer {access}"})
    assert me.status_code == 200 and me.json()["data"]["id"] == f"user:{person.user_id}"
    again = await http.post(
        TOKEN_URL,
        json={"code": code, "grant_type": "authorization_code"},
        headers={**SDK, **client.basic()},
    )
    assert again.status_code == 400


async def test_sdk_login_errors(http: httpx.AsyncClient, people: People) -> None:
    tenant = await people.tenant()
    person, client = await people.user(tenant), await people.client(tenant)
    header = {**SDK, "Authorization": f"Client-ID {client.client_id}"}
    wrong = await http.post(
        AUTHORIZE, json={**login_body(person, client), "password": "nope"}, headers=header
    )
    assert wrong.status_code == 400
    assert wrong.json()["errors"][0]["code"] == "authorize.invalid_credentials"
    unknown = await http.post(
        AUTHORIZE,
        json={**login_body(person, client), "ext": {"client_id": "client:999999"}},
        headers=SDK,
    )
    assert unknown.json()["errors"][0]["code"] == "authorize.invalid_client"
    for raw in (b"[]", b"not json", b'{"email": 3}'):
        bad = await http.post(AUTHORIZE, content=raw, headers=header)
        assert bad.status_code == 400 and bad.json()["errors"][0]["code"] == "input:invalid_value"
    other_tenant = await people.tenant()
    stranger = await people.user(other_tenant)
    isolated = await http.post(AUTHORIZE, json=login_body(stranger, client), headers=header)
    assert isolated.json()["errors"][0]["code"] == "authorize.invalid_credentials"


async def test_sdk_login_with_two_factor(http: httpx.AsyncClient, people: People) -> None:
    tenant = await people.tenant()
    person = await people.user(tenant, two_factor_on=True)
    client = await people.client(tenant)
    header = {**SDK, "Authorization": f"Client-ID {client.client_id}"}
    first = await http.post(AUTHORIZE, json=login_body(person, client), headers=header)
    assert first.status_code == 400
    assert first.json()["errors"][0]["code"] == "authorize.totp_required"
    second = await http.post(
        AUTHORIZE, json=login_body(person, client, two_factor_code=person.totp()), headers=header
    )
    assert second.status_code == 200, second.text
    assert second.json()["ext"]["code"]
