"""Fixtures and helpers for the Percolate OAuth tests (tests/percolate and tests/web).

The app under test carries the web face and the Percolate face, over the suite's migrated
database. ``People`` makes tenants, users (optionally with two-factor on) and OAuth clients;
``form_dance`` walks the authorization flow with plain form posts, as a browser would.
"""

from __future__ import annotations

import base64
import itertools
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.live import free_port, serving
from tests.signin import PASSWORD, Person, csrf_of, query_of, sign_in

from tenantry import percolate
from tenantry.app import create_app
from tenantry.core.base import utcnow
from tenantry.core.identity import service as identity
from tenantry.core.identity import two_factor
from tenantry.core.sealing import SecretBox
from tenantry.core.tenancy import tenant_session
from tenantry.percolate.oauth.cli import create_oauth_client
from tenantry.percolate.oauth.models import OAuthCode, OAuthToken
from tenantry.settings import Settings
from tenantry.web.face import WebFace

REDIRECT_URI = "https://client.example.org/callback"
TOKEN_URL = "/auth/v5/token/"
OUTPUT_DIR = Path(__file__).resolve().parents[3] / "test-output"

_addresses = itertools.count(1)


def fresh_address() -> tuple[str, int]:
    """A client address of its own, so per-address sign-in limits never leak between tests."""
    n = next(_addresses)
    return (f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}", 40000)


def build_app(settings: Settings, web: WebFace | None = None) -> FastAPI:
    return create_app(settings, faces=[web or WebFace(), percolate.face])


@pytest.fixture(scope="session")
async def percolate_app(settings: Settings, migrated: None) -> AsyncIterator[FastAPI]:
    application = build_app(settings)
    async with LifespanManager(application):
        yield application


def client_for(app: FastAPI, base_url: str = "http://testserver") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=fresh_address())
    return httpx.AsyncClient(transport=transport, base_url=base_url)


@pytest.fixture
async def http(percolate_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(percolate_app) as client:
        yield client


@dataclass
class Client:
    tenant_id: int
    client_id: str
    secret: str
    redirect_uri: str

    def basic(self, *, prefix: bool = True, padding: bool = True) -> dict[str, str]:
        client_id = self.client_id if prefix else self.client_id.split(":", 1)[1]
        encoded = base64.b64encode(f"{client_id}:{self.secret}".encode()).decode()
        if not padding:
            encoded = encoded.rstrip("=")
        return {"Authorization": f"Basic {encoded}"}


class People:
    """Makes what the tests need, straight through the services (no HTTP)."""

    def __init__(self, settings: Settings, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.settings = settings
        self.sessions = sessions

    async def tenant(self, name: str | None = None) -> int:
        async with self.sessions() as session, session.begin():
            tenant = await identity.create_tenant(session, name or f"Org {uuid.uuid4().hex[:8]}")
            return tenant.id

    async def user(
        self,
        tenant_id: int,
        *,
        roles: tuple[str, ...] = ("member",),
        two_factor_on: bool = False,
        name: str = "Ada Lovelace",
    ) -> Person:
        email = f"user-{uuid.uuid4().hex[:10]}@example.org"
        async with tenant_session(self.sessions, tenant_id) as session:
            user = await identity.create_user(
                session, email=email, name=name, password=PASSWORD, roles=list(roles)
            )
        person = Person(tenant_id, user.id, email)
        if two_factor_on:
            await self.enable_two_factor(person)
        return person

    async def enable_two_factor(self, person: Person) -> None:
        """Two-factor on without spending a code (the pages' enrolment is tested on its own)."""
        box = SecretBox(self.settings.effective_secret_key, "tenantry.web.totp")
        async with tenant_session(self.sessions, person.tenant_id) as session:
            person.totp_seed = await two_factor.begin_enrolment(session, box, person.user_id)
            row = await two_factor.enrolment_of(session, person.user_id)
            assert row is not None
            row.confirmed_at = utcnow()

    async def client(
        self, tenant_id: int, *, name: str = "Test app", redirect_uri: str = REDIRECT_URI
    ) -> Client:
        made = await create_oauth_client(
            self.settings, self.sessions, tenant_id=tenant_id, name=name, redirect_uri=redirect_uri
        )
        return Client(tenant_id, made["client_id"], made["client_secret"], redirect_uri)

    async def count(self, model: type[OAuthToken] | type[OAuthCode], tenant_id: int) -> int:
        async with tenant_session(self.sessions, tenant_id) as session:
            return int(await session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
def people(settings: Settings, sessions: async_sessionmaker[AsyncSession]) -> People:
    return People(settings, sessions)


def authorize_url(client: Client, state: str | None = "st-123", **extra: str) -> str:
    params = {"response_type": "code", "client_id": client.client_id}
    if state is not None:
        params["state"] = state
    params.update(extra)
    return "/auth/oauth2?" + urlencode(params)


async def form_dance(
    http: httpx.AsyncClient,
    client: Client,
    person: Person,
    *,
    state: str = "st-123",
    decision: str = "allow",
    **extra: str,
) -> dict[str, str]:
    """Authorize ``client`` as ``person`` with form posts; returns the redirect's query."""
    url = authorize_url(client, state, **extra)
    first = await http.get(url)
    if first.status_code == 303 and first.headers["location"].startswith("/login"):
        await sign_in(http, person, next_path=url)
        first = await http.get(url)
    assert first.status_code == 200, first.text
    assert "Authorize access" in first.text
    answer = await http.post(url, data={"csrf_token": csrf_of(first.text), "decision": decision})
    assert answer.status_code == 302, answer.text
    location = answer.headers["location"]
    assert location.startswith(client.redirect_uri + "?")
    return query_of(location)


async def exchange(
    http: httpx.AsyncClient, client: Client, code: str, *, json_body: bool = False
) -> httpx.Response:
    body = {"grant_type": "authorization_code", "code": code}
    if json_body:
        return await http.post(TOKEN_URL, json=body, headers=client.basic())
    return await http.post(TOKEN_URL, data=body, headers=client.basic())


async def refresh(http: httpx.AsyncClient, client: Client, refresh_token: str) -> httpx.Response:
    return await http.post(
        TOKEN_URL,
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        headers=client.basic(),
    )


async def me(http: httpx.AsyncClient, access_token: str) -> httpx.Response:
    return await http.get("/api/v5/me", headers={"Authorization": f"Bearer {access_token}"})


async def issued_token(http: httpx.AsyncClient, client: Client, person: Person) -> dict[str, Any]:
    """A fresh token through the whole dance."""
    code = (await form_dance(http, client, person))["code"]
    response = await exchange(http, client, code)
    assert response.status_code == 200, response.text
    token: dict[str, Any] = response.json()
    return token


@pytest.fixture(scope="module")
def live_server(settings: Settings, migrated: None) -> Iterator[str]:
    """The app on a real socket, for a browser and a real OAuth client."""
    port = free_port()
    live_settings = settings.model_copy(update={"base_url": f"http://127.0.0.1:{port}"})
    with serving(build_app(live_settings), port) as base:
        yield base
