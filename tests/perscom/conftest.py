"""Fixtures for the PERSCOM face: an app with the face installed, tenants with API keys.

``app`` is overridden so the face is mounted whatever ``installed_faces()`` lists; the
shared ``client`` fixture then talks to it. Rate-limit counters are reset before every
test so that tests do not spend each other's per-IP allowance.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.live import free_port, serving

from tenantry.core.identity import service as identity
from tenantry.core.tenancy import tenant_session
from tenantry.perscom import PerscomFace
from tenantry.perscom.apikeys import ApiKeyIssuer
from tenantry.settings import Settings


@pytest.fixture(scope="session")
async def app(settings: Settings, migrated: None) -> AsyncIterator[FastAPI]:
    from tenantry.app import create_app

    application = create_app(settings, faces=[PerscomFace()])
    async with LifespanManager(application):
        yield application


@pytest.fixture(autouse=True)
async def fresh_rate_limits(app: FastAPI) -> None:
    await app.state.platform.limiter.storage.reset()


@dataclass
class Org:
    """A tenant with an admin user and a key holding every scope."""

    tenant_id: int
    user_id: int
    token: str
    key_id: int

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.token, self.tenant_id)


def bearer(token: str, tenant_id: int | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    if tenant_id is not None:
        headers["X-Perscom-Id"] = str(tenant_id)
    return headers


KeyFactory = Callable[..., Awaitable[tuple[int, str]]]
OrgFactory = Callable[..., Awaitable[Org]]


def _key_factory(
    app: FastAPI, sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> KeyFactory:
    issuer = ApiKeyIssuer(PerscomFace.runtime(app).keys, settings)

    async def make(tenant_id: int, scopes: list[str], **options: Any) -> tuple[int, str]:
        async with tenant_session(sessions, tenant_id) as session:
            issued = await issuer.issue(
                session, tenant_id, name=options.pop("name", "test key"), scopes=scopes, **options
            )
        return issued.id, issued.token

    return make


@pytest.fixture
def make_key(
    app: FastAPI, sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> KeyFactory:
    """Issue a key: ``await make_key(tenant_id, ["view:user"], user_id=None, ...)``."""
    return _key_factory(app, sessions, settings)


def _org_factory(sessions: async_sessionmaker[AsyncSession], make_key: KeyFactory) -> OrgFactory:
    async def make(scopes: list[str] | None = None) -> Org:
        async with sessions() as session, session.begin():
            tenant = await identity.create_tenant(session, f"Org {uuid.uuid4().hex[:8]}")
            tenant_id = tenant.id
        async with tenant_session(sessions, tenant_id) as session:
            user = await identity.create_user(
                session,
                email=f"admin-{uuid.uuid4().hex[:8]}@example.com",
                name="Ada Admin",
                roles=["admin"],
            )
        key_id, token = await make_key(tenant_id, scopes or ["*"], user_id=user.id)
        return Org(tenant_id, user.id, token, key_id)

    return make


@pytest.fixture
def make_org(sessions: async_sessionmaker[AsyncSession], make_key: KeyFactory) -> OrgFactory:
    return _org_factory(sessions, make_key)


@pytest.fixture
async def org(make_org: OrgFactory) -> Org:
    return await make_org()


@pytest.fixture
async def api(client: httpx.AsyncClient, org: Org) -> httpx.AsyncClient:
    """The shared client, authenticated as ``org``'s all-scopes key."""
    client.headers.update(org.headers)
    return client


@pytest.fixture
async def other_org(make_org: OrgFactory) -> Org:
    """A second tenant, for isolation tests."""
    return await make_org()


@pytest.fixture
async def api_b(app: FastAPI, other_org: Org) -> AsyncIterator[httpx.AsyncClient]:
    """A client authenticated as ``other_org``'s all-scopes key."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", headers=other_org.headers
    ) as http:
        yield http


# Module-scoped variants for the large matrices (authorization, isolation): one pair of
# tenants per module instead of per test. Each test still names only rows it created.


@pytest.fixture(scope="module")
def shared_make_key(
    app: FastAPI, sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> KeyFactory:
    return _key_factory(app, sessions, settings)


@pytest.fixture(scope="module")
async def shared_org(
    sessions: async_sessionmaker[AsyncSession], shared_make_key: KeyFactory
) -> Org:
    return await _org_factory(sessions, shared_make_key)()


@pytest.fixture(scope="module")
async def shared_other_org(
    sessions: async_sessionmaker[AsyncSession], shared_make_key: KeyFactory
) -> Org:
    return await _org_factory(sessions, shared_make_key)()


@pytest.fixture(scope="module")
async def shared_api(app: FastAPI, shared_org: Org) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", headers=shared_org.headers
    ) as http:
        yield http


@pytest.fixture(scope="module")
async def shared_api_b(app: FastAPI, shared_other_org: Org) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", headers=shared_other_org.headers
    ) as http:
        yield http


@pytest.fixture
def orgs(settings: Settings, sessions: async_sessionmaker[AsyncSession]) -> Any:
    """Tenants, people who sign in and OAuth clients (``tests/perscom/oauth_support.py``)."""
    from tests.perscom.oauth_support import Orgs

    return Orgs(settings, sessions)


@pytest.fixture(scope="module")
def dashboard(settings: Settings, migrated: None) -> Iterator[str]:
    """The PERSCOM app on a real socket (its base URL), for browsers and real clients."""
    from tenantry.app import create_app

    port = free_port()
    live = settings.model_copy(update={"base_url": f"http://127.0.0.1:{port}"})
    with serving(create_app(live, faces=[PerscomFace()]), port) as base:
        yield base
