"""OpenID Connect: discovery, id_token, userinfo filtered by scope, logout."""

from __future__ import annotations

import httpx
import jwt
import pytest
from tests.perscom.conftest import bearer
from tests.perscom.oauth_support import Orgs, tokens_for

pytestmark = pytest.mark.anyio


async def test_discovery_names_every_endpoint(client: httpx.AsyncClient) -> None:
    response = await client.get("/.well-known/openid-configuration")
    assert response.status_code == 200
    body = response.json()
    issuer = body["issuer"]
    for key, path in (
        ("authorization_endpoint", "/oauth/authorize"),
        ("token_endpoint", "/oauth/token"),
        ("userinfo_endpoint", "/oauth/userinfo"),
        ("end_session_endpoint", "/oauth/logout"),
    ):
        assert body[key] == issuer + path
    assert body["id_token_signing_alg_values_supported"] == ["HS256"]
    assert {"openid", "profile", "email"} <= set(body["scopes_supported"])


async def test_id_token_and_userinfo_with_email_only(client: httpx.AsyncClient, orgs: Orgs) -> None:
    tenant = await orgs.tenant()
    person = await orgs.person(tenant, name="Grace Hopper")
    app_client = await orgs.client(tenant)
    token = await tokens_for(client, app_client, person, scope="openid email", nonce="n-1")
    claims = jwt.decode(
        token["id_token"], app_client.secret, algorithms=["HS256"], audience=app_client.client_id
    )
    assert claims["sub"] == str(person.user_id) and claims["nonce"] == "n-1"
    assert claims["email"] == person.email and "name" not in claims
    info = await client.get("/oauth/userinfo", headers=bearer(token["access_token"]))
    assert info.status_code == 200, info.text
    body = info.json()
    assert body["sub"] == str(person.user_id) and body["id"] == person.user_id
    assert body["email"] == person.email and "email_verified" in body
    assert "name" not in body and "roles" not in body


async def test_userinfo_with_profile_only_and_without_openid(
    client: httpx.AsyncClient, orgs: Orgs
) -> None:
    tenant = await orgs.tenant()
    person = await orgs.person(tenant, name="Grace Hopper")
    app_client = await orgs.client(tenant, scopes=("view:user",))
    profile = await tokens_for(client, app_client, person, scope="openid profile")
    info = (await client.get("/oauth/userinfo", headers=bearer(profile["access_token"]))).json()
    assert info["name"] == "Grace Hopper" and "email" not in info
    plain = await tokens_for(client, app_client, person, scope="view:user")
    assert "id_token" not in plain
    refused = await client.get("/oauth/userinfo", headers=bearer(plain["access_token"]))
    assert refused.status_code == 403 and refused.json()["error"] == "insufficient_scope"
    anonymous = await client.get("/oauth/userinfo")
    assert anonymous.status_code == 401 and "WWW-Authenticate" in anonymous.headers


async def test_logout_with_a_token_revokes_the_users_tokens_of_that_client(
    client: httpx.AsyncClient, orgs: Orgs
) -> None:
    tenant = await orgs.tenant()
    person = await orgs.person(tenant)
    app_client = await orgs.client(tenant)
    token = await tokens_for(client, app_client, person)
    headers = {**bearer(token["access_token"], tenant), "Accept": "application/json"}
    out = await client.get("/oauth/logout", headers=headers)
    assert out.status_code == 204
    assert (await client.get("/v1/me", headers=headers)).status_code == 401
    refresh = await client.post(
        "/oauth/token",
        json=app_client.body(grant_type="refresh_token", refresh_token=token["refresh_token"]),
    )
    assert refresh.status_code == 400


async def test_logout_of_the_web_session_follows_only_registered_uris(
    client: httpx.AsyncClient, orgs: Orgs
) -> None:
    tenant = await orgs.tenant()
    app_client = await orgs.client(tenant)
    registered = await client.get(
        "/oauth/logout",
        params={
            "client_id": app_client.client_id,
            "post_logout_redirect_uri": app_client.redirect_uri,
            "state": "s",
        },
    )
    assert registered.status_code == 302
    assert registered.headers["location"] == app_client.redirect_uri + "?state=s"
    foreign = await client.get(
        "/oauth/logout",
        params={"client_id": app_client.client_id, "post_logout_redirect_uri": "https://evil.io/"},
    )
    assert foreign.status_code == 302 and foreign.headers["location"] == "/login"
