"""Bearer tokens and legacy API keys on /api/v5 and /api/v3 resolve to the core Principal."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.percolate.support.oauth import People, build_app, client_for, issued_token, me

from tenantry.core.identity.models import User
from tenantry.core.tenancy import Tenant, tenant_session
from tenantry.percolate.api.auth import PrincipalDep
from tenantry.percolate.oauth.apikeys import create_api_key, revoke_api_key
from tenantry.settings import Settings

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
async def v3_app(settings: Settings, migrated: None) -> AsyncIterator[FastAPI]:
    """The app with one extra /api/v3 route that shows the resolved principal."""
    application = build_app(settings)

    @application.get("/api/v3/whoami")
    async def whoami(principal: PrincipalDep) -> dict[str, Any]:
        return {
            "tenant_id": principal.tenant_id,
            "user_id": principal.user_id,
            "credential": principal.credential.kind,
            "admin": principal.can("system:admin"),
            "client_manager": principal.can("integration:client:manage"),
        }

    async with LifespanManager(application):
        yield application


async def test_the_token_resolves_to_user_tenant_and_capabilities(
    v3_app: FastAPI, people: People
) -> None:
    tenant = await people.tenant()
    admin = await people.user(tenant, roles=("admin",))
    member = await people.user(tenant, roles=("member",))
    client = await people.client(tenant)
    async with client_for(v3_app) as http:
        admin_token = await issued_token(http, client, admin)
    async with client_for(v3_app) as http:
        member_token = await issued_token(http, client, member)

        as_admin = await http.get(
            "/api/v3/whoami", headers={"Authorization": f"Bearer {admin_token['access_token']}"}
        )
        as_member = await http.get(
            "/api/v3/whoami", headers={"Authorization": f"Bearer {member_token['access_token']}"}
        )
        anonymous = await http.get("/api/v3/whoami")

    assert as_admin.json() == {
        "tenant_id": tenant,
        "user_id": admin.user_id,
        "credential": "oauth_token",
        "admin": True,
        "client_manager": True,
    }
    assert as_member.json()["admin"] is False
    assert as_member.json()["user_id"] == member.user_id
    assert anonymous.status_code == 401
    assert anonymous.json() == {
        "errors": [
            {"code": "auth:token_required", "message": "An access token is required.", "key": None}
        ]
    }
    assert anonymous.headers["www-authenticate"] == 'Bearer realm="Percolate"'


@pytest.mark.parametrize(
    "header",
    [
        "Bearer ",
        "Bearer not-a-token",
        "Bearer 1.forged-random-part",
        "Token abc",
        "Basic dXNlcjpwYXNz",
        "12345",
        "x" * 500,
    ],
    ids=["empty", "garbage", "forged", "other-scheme", "basic", "bare-number", "huge"],
)
async def test_bad_credentials_are_401_in_percolate_shape(
    http: httpx.AsyncClient, header: str
) -> None:
    response = await http.get("/api/v5/me", headers={"Authorization": header})

    assert response.status_code == 401
    body = response.json()
    assert set(body) == {"errors"}
    assert body["errors"][0]["key"] is None
    assert body["errors"][0]["code"].startswith("auth:")
    assert response.headers["www-authenticate"].startswith('Bearer realm="Percolate"')


async def test_me_answers_with_and_without_trailing_slash_in_percolate_user_shape(
    http: httpx.AsyncClient, people: People
) -> None:
    tenant = await people.tenant()
    person = await people.user(tenant, name="Grace Hopper")
    client = await people.client(tenant)
    token = await issued_token(http, client, person)
    headers = {"Authorization": f"Bearer {token['access_token']}"}

    plain = await http.get("/api/v5/me", headers=headers)
    slashed = await http.get("/api/v5/me/", headers=headers)

    assert plain.status_code == slashed.status_code == 200
    user = plain.json()["data"]
    assert plain.json() == slashed.json()
    assert user["id"] == f"user:{person.user_id}"
    assert user["name"] == "Grace Hopper"
    assert user["timezone"] == "UTC"
    assert user["avatar_id"] is None
    assert user["active"] is True
    assert user["updated_at"].endswith("+00:00")
    assert user["last_active"] is not None  # the sign-in during the dance


async def test_disabled_user_or_tenant_makes_the_token_401(
    http: httpx.AsyncClient, people: People, sessions: async_sessionmaker[AsyncSession]
) -> None:
    tenant = await people.tenant()
    person = await people.user(tenant)
    client = await people.client(tenant)
    token = await issued_token(http, client, person)
    assert (await me(http, token["access_token"])).status_code == 200

    async with tenant_session(sessions, tenant) as session:
        await session.execute(update(User).where(User.id == person.user_id).values(active=False))
    assert (await me(http, token["access_token"])).status_code == 401

    async with tenant_session(sessions, tenant) as session:
        await session.execute(update(User).where(User.id == person.user_id).values(active=True))
    assert (await me(http, token["access_token"])).status_code == 200
    async with sessions() as session, session.begin():
        await session.execute(update(Tenant).where(Tenant.id == tenant).values(active=False))
    assert (await me(http, token["access_token"])).status_code == 401


async def test_legacy_api_key_without_scheme_word(
    http: httpx.AsyncClient, people: People, sessions: async_sessionmaker[AsyncSession]
) -> None:
    tenant = await people.tenant()
    person = await people.user(tenant)
    async with tenant_session(sessions, tenant) as session:
        row, key = await create_api_key(session, person.user_id, "WordPress")

    plain = await http.get("/api/v5/me", headers={"Authorization": key})
    as_bearer = await http.get("/api/v5/me", headers={"Authorization": f"Bearer {key}"})

    assert plain.status_code == 200
    assert plain.json()["data"]["id"] == f"user:{person.user_id}"
    assert as_bearer.status_code == 401  # a key is not an OAuth token

    async with tenant_session(sessions, tenant) as session:
        assert await revoke_api_key(session, person.user_id, row.id)
    assert (await http.get("/api/v5/me", headers={"Authorization": key})).status_code == 401


async def test_unknown_api_route_is_a_percolate_error(http: httpx.AsyncClient) -> None:
    response = await http.get("/api/v5/no-such-thing")

    assert response.status_code == 404
    assert response.json()["errors"][0]["key"] is None
