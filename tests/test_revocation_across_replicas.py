"""A revoked credential is refused by every replica within a second, caches or not.

Two app instances share the database, as two replicas behind a load balancer would. Each has
served the credential (so whatever it keeps per credential, such as PERSCOM's verified-token
cache, holds it); the credential is then revoked through a third path (the database, as the
web pages and the CLI do), and both replicas must answer 401 within one second.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tenantry.app import create_app
from tenantry.core.identity import service as identity
from tenantry.core.identity.models import UserRole
from tenantry.core.tenancy import tenant_session
from tenantry.percolate.oauth.cli import create_oauth_client, create_token
from tenantry.percolate.oauth.models import OAuthToken
from tenantry.percolate.oauth.service import disable_token
from tenantry.perscom import PerscomFace
from tenantry.perscom.apikeys import ApiKeyIssuer, revoke_key
from tenantry.settings import Settings

pytestmark = pytest.mark.anyio

WITHIN_SECONDS = 1.0
Replicas = list[httpx.AsyncClient]


@pytest.fixture
async def replicas(settings: Settings, migrated: None) -> AsyncIterator[Replicas]:
    """Two independent app instances (own engine, own caches) on the same database."""
    async with AsyncExitStack() as stack:
        clients = []
        for _ in range(2):
            application = create_app(settings)
            await stack.enter_async_context(LifespanManager(application))
            transport = httpx.ASGITransport(app=application, raise_app_exceptions=False)
            clients.append(
                await stack.enter_async_context(
                    httpx.AsyncClient(transport=transport, base_url="http://testserver")
                )
            )
        yield clients


async def _tenant_with_admin(sessions: async_sessionmaker[AsyncSession]) -> tuple[int, int]:
    async with sessions() as session, session.begin():
        tenant = await identity.create_tenant(session, f"Replicas {uuid.uuid4().hex[:8]}")
        tenant_id = tenant.id
    async with tenant_session(sessions, tenant_id) as session:
        user = await identity.create_user(
            session,
            email=f"admin-{uuid.uuid4().hex[:8]}@example.com",
            name="Ada Admin",
            roles=["admin"],
        )
        return tenant_id, user.id


async def _bearer_of(
    settings: Settings, sessions: async_sessionmaker[AsyncSession], tenant_id: int, user_id: int
) -> dict[str, str]:
    """A Percolate access token of ``user_id``, through a client of its own, as headers."""
    client = await create_oauth_client(
        settings,
        sessions,
        tenant_id=tenant_id,
        name="replicas",
        redirect_uri="https://client.example.org/callback",
    )
    token = await create_token(
        settings, sessions, tenant_id=tenant_id, user_id=user_id, client_id=client["client_id"]
    )
    return {"Authorization": f"Bearer {token['access_token']}"}


async def _refused_everywhere(
    replicas: Replicas,
    ask: Callable[[httpx.AsyncClient], Awaitable[httpx.Response]],
    refusal: int = 401,
) -> list[int]:
    """Ask every replica until each answers ``refusal`` or the second is up; the last
    statuses."""
    deadline = time.monotonic() + WITHIN_SECONDS
    statuses = [0] * len(replicas)
    while True:
        for index, replica in enumerate(replicas):
            if statuses[index] != refusal:
                statuses[index] = (await ask(replica)).status_code
        if all(status == refusal for status in statuses) or time.monotonic() >= deadline:
            return statuses


async def test_a_revoked_perscom_key_is_refused_by_every_replica(
    replicas: Replicas,
    app: FastAPI,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    tenant_id, user_id = await _tenant_with_admin(sessions)
    issuer = ApiKeyIssuer(PerscomFace.runtime(app).keys, settings)
    async with tenant_session(sessions, tenant_id) as session:
        issued = await issuer.issue(session, tenant_id, name="replicas", scopes=["*"])
    headers = {"Authorization": f"Bearer {issued.token}", "X-Perscom-Id": str(tenant_id)}

    async def ask(replica: httpx.AsyncClient) -> httpx.Response:
        return await replica.get(f"/v1/users/{user_id}", headers=headers)

    for replica in replicas:  # twice each: the second answer comes from a warm cache
        assert (await ask(replica)).status_code == 200
        assert (await ask(replica)).status_code == 200

    async with tenant_session(sessions, tenant_id) as session:
        await revoke_key(session, issued.id)

    assert await _refused_everywhere(replicas, ask) == [401, 401]


async def test_a_disabled_percolate_token_is_refused_by_every_replica(
    replicas: Replicas, settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> None:
    tenant_id, user_id = await _tenant_with_admin(sessions)
    headers = await _bearer_of(settings, sessions, tenant_id, user_id)

    async def ask(replica: httpx.AsyncClient) -> httpx.Response:
        return await replica.get("/api/v5/me", headers=headers)

    for replica in replicas:
        assert (await ask(replica)).status_code == 200
        assert (await ask(replica)).status_code == 200

    async with tenant_session(sessions, tenant_id) as session:
        token_id = await session.scalar(select(OAuthToken.id).where(OAuthToken.user_id == user_id))
        assert token_id is not None
        assert await disable_token(session, user_id, token_id)

    assert await _refused_everywhere(replicas, ask) == [401, 401]


async def test_revoking_one_tenants_key_leaves_another_tenants_key_working(
    replicas: Replicas,
    app: FastAPI,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    issuer = ApiKeyIssuer(PerscomFace.runtime(app).keys, settings)
    keys = []
    for _ in range(2):
        tenant_id, user_id = await _tenant_with_admin(sessions)
        async with tenant_session(sessions, tenant_id) as session:
            issued = await issuer.issue(session, tenant_id, name="replicas", scopes=["*"])
        headers = {"Authorization": f"Bearer {issued.token}", "X-Perscom-Id": str(tenant_id)}
        keys.append((tenant_id, user_id, issued.id, headers))
    for replica in replicas:
        for _tenant, user_id, _key, headers in keys:
            assert (await replica.get(f"/v1/users/{user_id}", headers=headers)).status_code == 200

    revoked_tenant, _user, revoked_key, _headers = keys[0]
    async with tenant_session(sessions, revoked_tenant) as session:
        await revoke_key(session, revoked_key)

    _tenant, kept_user, _key, kept_headers = keys[1]
    for replica in replicas:
        answer = await replica.get(f"/v1/users/{kept_user}", headers=kept_headers)
        assert answer.status_code == 200


async def test_a_user_disabled_on_one_replica_is_refused_by_every_replica(
    replicas: Replicas, settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> None:
    tenant_id, admin_id = await _tenant_with_admin(sessions)
    async with tenant_session(sessions, tenant_id) as session:
        member = await identity.create_user(
            session, email=f"m-{uuid.uuid4().hex[:8]}@example.com", name="Max", roles=["member"]
        )
        member_id = member.id
    client = await create_oauth_client(
        settings,
        sessions,
        tenant_id=tenant_id,
        name="replicas",
        redirect_uri="https://client.example.org/callback",
    )
    tokens = [
        await create_token(
            settings, sessions, tenant_id=tenant_id, user_id=user, client_id=client["client_id"]
        )
        for user in (admin_id, member_id)
    ]
    admin_headers, member_headers = (
        {"Authorization": f"Bearer {token['access_token']}"} for token in tokens
    )

    async def ask(replica: httpx.AsyncClient) -> httpx.Response:
        return await replica.get("/api/v5/me", headers=member_headers)

    for replica in replicas:
        assert (await ask(replica)).status_code == 200
    disabled = await replicas[0].delete(f"/api/v5/user/user:{member_id}", headers=admin_headers)
    assert disabled.status_code == 204, disabled.text

    assert await _refused_everywhere(replicas, ask) == [401, 401]
    assert (await replicas[1].get("/api/v5/me", headers=admin_headers)).status_code == 200


async def test_a_percolate_role_taken_away_is_honoured_by_every_replica(
    replicas: Replicas, settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """The caller's grants are kept beside its token: losing the role that granted a
    capability is seen as soon as the token's own revocation would be."""
    tenant_id, user_id = await _tenant_with_admin(sessions)
    async with tenant_session(sessions, tenant_id) as session:
        other = await identity.create_user(
            session, email=f"o-{uuid.uuid4().hex[:8]}@example.com", name="Otto"
        )
        other_id = other.id
    headers = await _bearer_of(settings, sessions, tenant_id, user_id)

    async def ask(replica: httpx.AsyncClient) -> httpx.Response:
        return await replica.get(f"/api/v5/user/user:{other_id}", headers=headers)

    for replica in replicas:
        assert (await ask(replica)).status_code == 200
        assert (await ask(replica)).status_code == 200

    async with tenant_session(sessions, tenant_id) as session:
        await session.execute(delete(UserRole).where(UserRole.user_id == user_id))

    assert await _refused_everywhere(replicas, ask, refusal=403) == [403, 403]
