"""POST /auth/v5/token/: client authentication, body formats and RFC 6749 §5.2 errors."""

from __future__ import annotations

import base64

import httpx
import pytest
from tests.percolate.support.oauth import (
    TOKEN_URL,
    Client,
    People,
    Person,
    exchange,
    form_dance,
    me,
    refresh,
)

from tenantry.percolate.oauth.models import OAuthToken

pytestmark = pytest.mark.anyio


async def setup(people: People) -> tuple[int, Person, Client]:
    tenant = await people.tenant()
    return tenant, await people.user(tenant), await people.client(tenant)


async def code_for(http: httpx.AsyncClient, client: Client, person: Person) -> str:
    return (await form_dance(http, client, person))["code"]


def basic(raw: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(raw.encode()).decode()}


@pytest.mark.parametrize(
    ("prefix", "padding"),
    [(True, True), (True, False), (False, True), (False, False)],
    ids=["typed-padded", "typed-unpadded", "bare-padded", "bare-unpadded"],
)
async def test_basic_credentials_split_on_the_last_colon(
    http: httpx.AsyncClient, people: People, prefix: bool, padding: bool
) -> None:
    _tenant, person, client = await setup(people)
    code = await code_for(http, client, person)
    headers = client.basic(prefix=prefix, padding=padding)
    if not padding:
        assert not headers["Authorization"].endswith("=")

    response = await http.post(
        TOKEN_URL, data={"grant_type": "authorization_code", "code": code}, headers=headers
    )

    assert response.status_code == 200, response.text


async def test_form_encoded_basic_credentials_are_decoded(
    http: httpx.AsyncClient, people: People
) -> None:
    _tenant, person, client = await setup(people)
    code = await code_for(http, client, person)
    encoded_id = client.client_id.replace(":", "%3A")

    response = await http.post(
        TOKEN_URL,
        data={"grant_type": "authorization_code", "code": code},
        headers=basic(f"{encoded_id}:{client.secret}"),
    )

    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer something"},
        {"Authorization": "Basic !!!not-base64!!!"},
        {"Authorization": "Basic " + base64.b64encode(b"no-colon-here").decode()},
    ],
    ids=["no-header", "wrong-scheme", "not-base64", "no-colon"],
)
async def test_missing_or_broken_client_credentials_are_invalid_client(
    http: httpx.AsyncClient, people: People, headers: dict[str, str]
) -> None:
    tenant, person, client = await setup(people)
    code = await code_for(http, client, person)

    response = await http.post(
        TOKEN_URL, data={"grant_type": "authorization_code", "code": code}, headers=headers
    )

    assert response.status_code == 401, response.text
    assert response.json()["error"] == "invalid_client"
    assert response.headers["www-authenticate"].startswith("Basic")
    assert await people.count(OAuthToken, tenant) == 0
    # The code was not spent by the failed attempt.
    assert (await exchange(http, client, code)).status_code == 200


async def test_wrong_secret_and_unknown_client_are_refused(
    http: httpx.AsyncClient, people: People
) -> None:
    tenant, person, client = await setup(people)
    code = await code_for(http, client, person)

    wrong_secret = await http.post(
        TOKEN_URL,
        data={"grant_type": "authorization_code", "code": code},
        headers=basic(f"{client.client_id}:{client.secret}x"),
    )
    unknown = await http.post(
        TOKEN_URL,
        data={"grant_type": "authorization_code", "code": code},
        headers=basic(f"client:999999999:{client.secret}"),
    )
    wrong_post_secret = await http.post(
        TOKEN_URL,
        data={
            "grant_type": "authorization_code",
            "code": code,
            "client_id": client.client_id,
            "client_secret": "nope",
        },
    )

    for response in (wrong_secret, unknown, wrong_post_secret):
        assert response.status_code == 401, response.text
        assert response.json()["error"] == "invalid_client"
    assert await people.count(OAuthToken, tenant) == 0


async def test_another_tenants_client_cannot_redeem_a_code(
    http: httpx.AsyncClient, people: People
) -> None:
    tenant, person, client = await setup(people)
    _other_tenant, _other_person, other_client = await setup(people)
    code = await code_for(http, client, person)

    stolen = await exchange(http, other_client, code)

    assert stolen.status_code == 400
    assert stolen.json()["error"] == "invalid_grant"
    assert (await exchange(http, client, code)).status_code == 200
    assert await people.count(OAuthToken, tenant) == 1


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        ('["grant_type", "authorization_code"]', "application/json"),
        ('"authorization_code"', "application/json"),
        ("42", "application/json"),
        ("{not json", "application/json"),
        ('{"grant_type": "authorization_code", "code": {"nested": 1}}', "application/json"),
        ("grant_type=authorization_code&code=a&code=b", "application/x-www-form-urlencoded"),
        ("<xml/>", "text/xml"),
    ],
    ids=["array", "string", "number", "broken", "nested", "repeated", "xml"],
)
async def test_bodies_that_are_not_a_flat_object_are_invalid_request(
    http: httpx.AsyncClient, people: People, content: str, content_type: str
) -> None:
    tenant, _person, client = await setup(people)

    response = await http.post(
        TOKEN_URL,
        content=content.encode(),
        headers={**client.basic(), "Content-Type": content_type},
    )

    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_request"
    assert await people.count(OAuthToken, tenant) == 0


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({}, "invalid_request"),
        ({"grant_type": "client_credentials"}, "unsupported_grant_type"),
        ({"grant_type": "password", "username": "a", "password": "b"}, "unsupported_grant_type"),
        ({"grant_type": "authorization_code"}, "invalid_request"),
        ({"grant_type": "authorization_code", "code": "made-up"}, "invalid_grant"),
        ({"grant_type": "refresh_token"}, "invalid_request"),
        ({"grant_type": "refresh_token", "refresh_token": "made-up"}, "invalid_grant"),
    ],
    ids=[
        "no-grant-type",
        "client-credentials",
        "password",
        "no-code",
        "unknown-code",
        "no-refresh-token",
        "unknown-refresh-token",
    ],
)
async def test_grant_errors(
    http: httpx.AsyncClient, people: People, body: dict[str, str], error: str
) -> None:
    tenant, _person, client = await setup(people)

    response = await http.post(TOKEN_URL, data=body, headers=client.basic())

    assert response.status_code == 400, response.text
    assert response.json()["error"] == error
    assert await people.count(OAuthToken, tenant) == 0


async def test_a_reused_code_fails_and_revokes_what_it_issued(
    http: httpx.AsyncClient, people: People
) -> None:
    tenant, person, client = await setup(people)
    code = await code_for(http, client, person)
    first = (await exchange(http, client, code)).json()
    refreshed = (await refresh(http, client, first["refresh_token"])).json()
    assert (await me(http, refreshed["access_token"])).status_code == 200

    replay = await exchange(http, client, code)

    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    assert (await me(http, refreshed["access_token"])).status_code == 401
    assert (await refresh(http, client, refreshed["refresh_token"])).json()["error"] == (
        "invalid_grant"
    )
    assert await people.count(OAuthToken, tenant) == 2  # nothing new was issued


async def test_redirect_uri_sent_on_authorize_must_be_repeated_on_exchange(
    http: httpx.AsyncClient, people: People
) -> None:
    _tenant, person, client = await setup(people)
    code = (await form_dance(http, client, person, redirect_uri=client.redirect_uri))["code"]

    missing = await exchange(http, client, code)
    assert missing.json()["error"] == "invalid_grant"

    code = (await form_dance(http, client, person, redirect_uri=client.redirect_uri))["code"]
    response = await http.post(
        TOKEN_URL,
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": client.redirect_uri,
        },
        headers=client.basic(),
    )
    assert response.status_code == 200, response.text


async def test_get_on_the_token_endpoint_is_an_oauth_error(http: httpx.AsyncClient) -> None:
    response = await http.get(TOKEN_URL)

    assert response.status_code == 405
    assert response.json()["error"] == "invalid_request"
