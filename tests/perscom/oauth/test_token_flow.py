"""The authorization-code flow end to end, refresh rotation, client credentials, PKCE,
revocation, and the bad inputs the issue lists (through the ASGI app, both engines)."""

from __future__ import annotations

import base64
import hashlib

import httpx
import pytest
from tests.perscom.conftest import bearer
from tests.perscom.oauth_support import Orgs, authorize, authorize_url, exchange, tokens_for
from tests.signin import csrf_of, query_of, sign_in

pytestmark = pytest.mark.anyio


async def test_no_scope_gets_the_clients_scopes_and_the_api_accepts_the_token(
    client: httpx.AsyncClient, orgs: Orgs
) -> None:
    tenant = await orgs.tenant()
    person = await orgs.person(tenant)
    app_client = await orgs.client(tenant)
    query = await authorize(client, app_client, person, state="zap-state")
    assert query["state"] == "zap-state"
    response = await exchange(client, app_client, query["code"])
    assert response.status_code == 200, response.text
    token = response.json()
    assert token["token_type"] == "Bearer"
    assert token["scope"] == "*"
    assert token["refresh_token"] and token["access_token"]
    assert response.headers["cache-control"] == "no-store"
    me = await client.get("/v1/me", headers=bearer(token["access_token"], tenant))
    assert me.status_code == 200, me.text
    assert [row["id"] for row in me.json()["data"]] == [person.user_id]
    users = await client.get("/v2/users", headers=bearer(token["access_token"]))
    assert users.status_code == 200, users.text


async def test_requested_scopes_are_all_the_token_gets(
    client: httpx.AsyncClient, orgs: Orgs
) -> None:
    tenant = await orgs.tenant()
    person = await orgs.person(tenant)
    app_client = await orgs.client(tenant, scopes=("view:user", "create:user"))
    token = await tokens_for(client, app_client, person, scope="view:user")
    assert token["scope"] == "view:user"
    headers = bearer(token["access_token"], tenant)
    assert (await client.get("/v1/users", headers=headers)).status_code == 200
    created = await client.post("/v1/users", headers=headers, json={"name": "X", "email": "x@y.z"})
    assert created.status_code == 403, created.text


async def test_a_scope_the_client_may_not_have_goes_back_as_invalid_scope(
    client: httpx.AsyncClient, orgs: Orgs
) -> None:
    tenant = await orgs.tenant()
    person = await orgs.person(tenant)
    app_client = await orgs.client(tenant, scopes=("view:user",))
    url = authorize_url(app_client, scope="delete:user")
    await sign_in(client, person, next_path=url)
    response = await client.get(url)
    assert response.status_code == 302
    query = query_of(response.headers["location"])
    assert query["error"] == "invalid_scope" and query["state"] == "st-123"


async def test_form_body_with_basic_credentials_and_pkce(
    client: httpx.AsyncClient, orgs: Orgs
) -> None:
    tenant = await orgs.tenant()
    person = await orgs.person(tenant)
    app_client = await orgs.client(tenant)
    verifier = "v" * 64
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    query = await authorize(
        client,
        app_client,
        person,
        code_challenge=challenge.decode().rstrip("="),
        code_challenge_method="S256",
    )
    basic = base64.b64encode(f"{app_client.client_id}:{app_client.secret}".encode()).decode()
    form = {
        "grant_type": "authorization_code",
        "code": query["code"],
        "redirect_uri": app_client.redirect_uri,
    }
    wrong = await client.post(
        "/oauth/token",
        data={**form, "code_verifier": "w" * 64},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    query = await authorize(
        client,
        app_client,
        person,
        code_challenge=challenge.decode().rstrip("="),
        code_challenge_method="S256",
    )
    form["code"] = query["code"]
    right = await client.post(
        "/oauth/token",
        data={**form, "code_verifier": verifier},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert right.status_code == 200, right.text


async def test_refresh_rotates_and_retires_the_old_pair(
    client: httpx.AsyncClient, orgs: Orgs
) -> None:
    tenant = await orgs.tenant()
    person = await orgs.person(tenant)
    app_client = await orgs.client(tenant)
    first = await tokens_for(client, app_client, person)
    refreshed = await client.post(
        "/oauth/token",
        json=app_client.body(grant_type="refresh_token", refresh_token=first["refresh_token"]),
    )
    assert refreshed.status_code == 200, refreshed.text
    second = refreshed.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    old = await client.get("/v1/me", headers=bearer(first["access_token"], tenant))
    assert old.status_code == 401
    new = await client.get("/v1/me", headers=bearer(second["access_token"], tenant))
    assert new.status_code == 200
    again = await client.post(
        "/oauth/token",
        json=app_client.body(grant_type="refresh_token", refresh_token=first["refresh_token"]),
    )
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


async def test_a_reused_code_is_refused_and_revokes_what_it_issued(
    client: httpx.AsyncClient, orgs: Orgs
) -> None:
    tenant = await orgs.tenant()
    person = await orgs.person(tenant)
    app_client = await orgs.client(tenant)
    query = await authorize(client, app_client, person)
    first = await exchange(client, app_client, query["code"])
    assert first.status_code == 200
    token = first.json()
    refreshed = await client.post(
        "/oauth/token",
        json=app_client.body(grant_type="refresh_token", refresh_token=token["refresh_token"]),
    )
    assert refreshed.status_code == 200
    replay = await exchange(client, app_client, query["code"])
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    for access in (token["access_token"], refreshed.json()["access_token"]):
        assert (await client.get("/v1/me", headers=bearer(access, tenant))).status_code == 401
    dead = await client.post(
        "/oauth/token",
        json=app_client.body(
            grant_type="refresh_token", refresh_token=refreshed.json()["refresh_token"]
        ),
    )
    assert dead.status_code == 400


async def test_a_refresh_token_of_another_client_is_refused(
    client: httpx.AsyncClient, orgs: Orgs
) -> None:
    tenant = await orgs.tenant()
    person = await orgs.person(tenant)
    mine = await orgs.client(tenant)
    theirs = await orgs.client(tenant, name="Other")
    token = await tokens_for(client, mine, person)
    stolen = await client.post(
        "/oauth/token",
        json=theirs.body(grant_type="refresh_token", refresh_token=token["refresh_token"]),
    )
    assert stolen.status_code == 400 and stolen.json()["error"] == "invalid_grant"
    still = await client.post(
        "/oauth/token",
        json=mine.body(grant_type="refresh_token", refresh_token=token["refresh_token"]),
    )
    assert still.status_code == 200


async def test_an_unregistered_redirect_uri_is_shown_never_followed(
    client: httpx.AsyncClient, orgs: Orgs
) -> None:
    tenant = await orgs.tenant()
    app_client = await orgs.client(tenant)
    app_client.redirect_uri = "https://evil.example.com/steal"
    response = await client.get(authorize_url(app_client))
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "evil.example.com/steal" not in response.headers.get("location", "")


async def test_a_missing_state_is_an_invalid_request(client: httpx.AsyncClient, orgs: Orgs) -> None:
    tenant = await orgs.tenant()
    person = await orgs.person(tenant)
    app_client = await orgs.client(tenant)
    url = authorize_url(app_client, state=None)
    await sign_in(client, person, next_path=url)
    response = await client.get(url)
    assert response.status_code == 302
    query = query_of(response.headers["location"])
    assert query["error"] == "invalid_request"
    assert "code" not in query


async def test_an_overlong_nonce_is_an_invalid_request(
    client: httpx.AsyncClient, orgs: Orgs
) -> None:
    tenant = await orgs.tenant()
    person = await orgs.person(tenant)
    app_client = await orgs.client(tenant)
    url = authorize_url(app_client, nonce="n" * 256)
    await sign_in(client, person, next_path=url)
    response = await client.get(url)
    assert response.status_code == 302
    assert query_of(response.headers["location"])["error"] == "invalid_request"


async def test_a_denied_consent_issues_nothing(client: httpx.AsyncClient, orgs: Orgs) -> None:
    tenant = await orgs.tenant()
    person = await orgs.person(tenant)
    app_client = await orgs.client(tenant)
    query = await authorize(client, app_client, person, decision="deny")
    assert query["error"] == "access_denied" and "code" not in query


async def test_a_token_of_tenant_a_with_the_perscom_id_of_b_is_401(
    client: httpx.AsyncClient, orgs: Orgs
) -> None:
    tenant_a, tenant_b = await orgs.tenant(), await orgs.tenant()
    person = await orgs.person(tenant_a)
    app_client = await orgs.client(tenant_a)
    token = await tokens_for(client, app_client, person)
    response = await client.get("/v1/users", headers=bearer(token["access_token"], tenant_b))
    assert response.status_code == 401
    assert "not authenticated" in response.json()["error"]["message"]


async def test_a_person_of_another_tenant_is_asked_to_sign_in_to_the_clients(
    client: httpx.AsyncClient, orgs: Orgs
) -> None:
    tenant_a, tenant_b = await orgs.tenant(), await orgs.tenant()
    stranger = await orgs.person(tenant_b)
    app_client = await orgs.client(tenant_a)
    url = authorize_url(app_client)
    await sign_in(client, stranger, next_path=url)
    response = await client.get(url)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?")
    assert f"account={tenant_a}" in response.headers["location"]


async def test_client_credentials_give_a_machine_token_without_refresh(
    client: httpx.AsyncClient, orgs: Orgs
) -> None:
    tenant = await orgs.tenant()
    machine = await orgs.client(
        tenant, redirect_uris=(), grant_types=("client_credentials",), scopes=("view:user",)
    )
    basic = base64.b64encode(f"{machine.client_id}:{machine.secret}".encode()).decode()
    response = await client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert response.status_code == 200, response.text
    token = response.json()
    assert "refresh_token" not in token and token["scope"] == "view:user"
    headers = bearer(token["access_token"], tenant)
    assert (await client.get("/v1/users", headers=headers)).status_code == 200
    assert (await client.get("/v1/me", headers=headers)).json()["data"] == []
    no_code = await client.post(
        "/oauth/token",
        json=machine.body(grant_type="authorization_code", code="x", redirect_uri="https://a.b/"),
    )
    assert no_code.status_code in (400, 401)
    assert no_code.json()["error"] == "unauthorized_client"


async def test_bad_client_credentials_are_invalid_client(
    client: httpx.AsyncClient, orgs: Orgs
) -> None:
    tenant = await orgs.tenant()
    app_client = await orgs.client(tenant)
    wrong = await client.post(
        "/oauth/token",
        json={
            "client_id": app_client.client_id,
            "client_secret": "nope",
            "grant_type": "refresh_token",
            "refresh_token": "x",
        },
    )
    assert wrong.status_code in (400, 401) and wrong.json()["error"] == "invalid_client"
    unknown = await client.post(
        "/oauth/token",
        json={
            "client_id": "not-a-client",
            "client_secret": "x",
            "grant_type": "refresh_token",
            "refresh_token": "x",
        },
    )
    assert unknown.json()["error"] == "invalid_client"
    garbage = await client.post(
        "/oauth/token", content=b"[1,2]", headers={"content-type": "application/json"}
    )
    assert garbage.status_code == 400 and garbage.json()["error"] == "invalid_request"


async def test_revocation_of_access_and_refresh_tokens(
    client: httpx.AsyncClient, orgs: Orgs
) -> None:
    tenant = await orgs.tenant()
    person = await orgs.person(tenant)
    app_client = await orgs.client(tenant)
    other = await orgs.client(tenant, name="Other")
    token = await tokens_for(client, app_client, person)
    foreign = await client.post("/oauth/revoke", data=other.body(token=token["access_token"]))
    assert foreign.status_code == 400
    assert (
        await client.get("/v1/me", headers=bearer(token["access_token"], tenant))
    ).status_code == 200
    revoked = await client.post("/oauth/revoke", data=app_client.body(token=token["access_token"]))
    assert revoked.status_code == 200, revoked.text
    assert (
        await client.get("/v1/me", headers=bearer(token["access_token"], tenant))
    ).status_code == 401
    refresh = await client.post(
        "/oauth/token",
        json=app_client.body(grant_type="refresh_token", refresh_token=token["refresh_token"]),
    )
    assert refresh.status_code == 400
    unknown = await client.post("/oauth/revoke", data=app_client.body(token="unknown"))
    assert unknown.status_code == 200


async def test_consent_page_names_the_client_and_the_scopes(
    client: httpx.AsyncClient, orgs: Orgs
) -> None:
    tenant = await orgs.tenant()
    person = await orgs.person(tenant)
    app_client = await orgs.client(tenant, name="Zap <Partner>", scopes=("view:user",))
    url = authorize_url(app_client)
    await sign_in(client, person, next_path=url)
    page = await client.get(url)
    assert page.status_code == 200
    assert "Zap &lt;Partner&gt;" in page.text and "<code>view:user</code>" in page.text
    assert csrf_of(page.text)
