"""Helpers for PERSCOM's OAuth tests: tenants with people who sign in, clients, the dance."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.signin import PASSWORD, Person, csrf_of, query_of, sign_in

from tenantry.core.identity import service as identity
from tenantry.core.tenancy import tenant_session
from tenantry.perscom.oauth.cli import create_oauth_client
from tenantry.settings import Settings

REDIRECT_URI = "https://zapier.com/dashboard/auth/oauth/return/App192496CLIAPI/"


@dataclass
class Client:
    tenant_id: int
    client_id: str
    secret: str
    redirect_uri: str

    def body(self, **values: str) -> dict[str, str]:
        return {"client_id": self.client_id, "client_secret": self.secret, **values}


class Orgs:
    """Tenants, people with passwords and OAuth clients, straight through the services."""

    def __init__(self, settings: Settings, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.settings = settings
        self.sessions = sessions

    async def tenant(self) -> int:
        async with self.sessions() as session, session.begin():
            tenant = await identity.create_tenant(session, f"Unit {uuid.uuid4().hex[:8]}")
            return tenant.id

    async def person(self, tenant_id: int, *, name: str = "Ada Lovelace") -> Person:
        email = f"user-{uuid.uuid4().hex[:10]}@example.org"
        async with tenant_session(self.sessions, tenant_id) as session:
            user = await identity.create_user(
                session, email=email, name=name, password=PASSWORD, roles=["admin"]
            )
        return Person(tenant_id, user.id, email)

    async def client(
        self,
        tenant_id: int,
        *,
        redirect_uris: tuple[str, ...] = (REDIRECT_URI,),
        grant_types: tuple[str, ...] = ("authorization_code", "refresh_token"),
        scopes: tuple[str, ...] = ("*",),
        name: str = "Zapier",
    ) -> Client:
        made = await create_oauth_client(
            self.settings,
            self.sessions,
            tenant_id=tenant_id,
            name=name,
            redirect_uris=list(redirect_uris),
            grant_types=list(grant_types),
            scopes=list(scopes),
        )
        first = redirect_uris[0] if redirect_uris else ""
        return Client(tenant_id, made["client_id"], made["client_secret"], first)


def authorize_url(client: Client, state: str | None = "st-123", **extra: str) -> str:
    """The Zapier app's URL: client_id, state, redirect_uri, response_type, in that order."""
    params: dict[str, str] = {"client_id": client.client_id}
    if state is not None:
        params["state"] = state
    params["redirect_uri"] = client.redirect_uri
    params["response_type"] = "code"
    params.update(extra)
    return "/oauth/authorize?" + urlencode(params)


async def authorize(
    http: httpx.AsyncClient,
    client: Client,
    person: Person,
    *,
    state: str = "st-123",
    decision: str = "allow",
    **extra: str,
) -> dict[str, str]:
    """Sign in when asked, consent with a form post; the redirect's query."""
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


async def exchange(http: httpx.AsyncClient, client: Client, code: str, **extra: str) -> Any:
    """The Zapier app's JSON exchange."""
    body = client.body(grant_type="authorization_code", code=code, redirect_uri=client.redirect_uri)
    return await http.post("/oauth/token", json={**body, **extra})


async def tokens_for(http: httpx.AsyncClient, client: Client, person: Person, **extra: str) -> Any:
    """A whole dance; the token response."""
    query = await authorize(http, client, person, **extra)
    response = await exchange(http, client, query["code"])
    assert response.status_code == 200, response.text
    return response.json()
