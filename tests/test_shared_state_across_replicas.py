"""What replicas behind a load balancer must share, they do: two app instances (own engine,
own caches, own rate-limit storage client) on one database and one Redis, and a transport
that sends each request to the next instance in turn, as a round-robin balancer would.

Rate limits count on Redis across instances; short-link clicks add up whichever instance
served them; a browser that signed in on one instance consents to an OAuth client on the
other (both faces): sessions and CSRF are signed cookies, checked by any instance holding
the same secret key. (Revocation across instances: tests/test_revocation_across_replicas.py;
job leases: tests/core/jobs/test_jobs.py, several workers on one queue.)
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.percolate.support import oauth as percolate_oauth
from tests.percolate.support.accounts import make_account
from tests.percolate.support.desks import Desk, make_desk, make_post, make_schema
from tests.perscom import oauth_support as perscom_oauth
from tests.signin import Person

from tenantry import percolate
from tenantry.app import create_app
from tenantry.core.face import Face
from tenantry.core.identity import service as identity
from tenantry.core.tenancy import tenant_session
from tenantry.percolate import PercolateFace
from tenantry.perscom import PerscomFace
from tenantry.perscom.apikeys import ApiKeyIssuer
from tenantry.settings import Settings
from tenantry.web.face import WebFace

__all__ = ["make_account", "make_desk"]  # fixtures used here

pytestmark = pytest.mark.anyio

REDIS_URL = "redis://127.0.0.1:6379/0"
LIMIT = 10


class RoundRobin(httpx.AsyncBaseTransport):
    """Each request to the next instance, like a balancer without stickiness."""

    def __init__(self, apps: Sequence[FastAPI]) -> None:
        self.transports = [httpx.ASGITransport(app=app, raise_app_exceptions=False) for app in apps]
        self.served = [0] * len(apps)
        self._next = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        index = self._next
        self._next = (index + 1) % len(self.transports)
        self.served[index] += 1
        return await self.transports[index].handle_async_request(request)


@asynccontextmanager
async def balanced(
    settings: Settings, faces: Callable[[], list[Face]]
) -> AsyncIterator[tuple[httpx.AsyncClient, RoundRobin]]:
    """Two instances of the app (``faces()`` each) behind one round-robin client."""
    async with AsyncExitStack() as stack:
        apps = []
        for _ in range(2):
            application = create_app(settings, faces=faces())
            await stack.enter_async_context(LifespanManager(application))
            apps.append(application)
        transport = RoundRobin(apps)
        client = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        yield await stack.enter_async_context(client), transport


async def _admin(sessions: async_sessionmaker[AsyncSession]) -> tuple[int, int]:
    async with sessions() as session, session.begin():
        tenant = await identity.create_tenant(session, f"Shared {uuid.uuid4().hex[:8]}")
        tenant_id = tenant.id
    async with tenant_session(sessions, tenant_id) as session:
        user = await identity.create_user(
            session, email=f"a-{uuid.uuid4().hex[:8]}@example.org", name="Ada", roles=["admin"]
        )
        return tenant_id, user.id


async def test_a_perscom_key_limit_holds_across_instances_on_redis(
    settings: Settings, sessions: async_sessionmaker[AsyncSession], migrated: None
) -> None:
    shared = settings.model_copy(update={"redis_url": REDIS_URL})
    faces: Callable[[], list[Face]] = lambda: [  # noqa: E731
        PerscomFace(key_rate=f"{LIMIT}/minute", ip_rate="1000/minute")
    ]
    async with balanced(shared, faces) as (http, transport):
        tenant_id, user_id = await _admin(sessions)
        app = transport.transports[0].app
        assert isinstance(app, FastAPI)
        issuer = ApiKeyIssuer(PerscomFace.runtime(app).keys, shared)
        async with tenant_session(sessions, tenant_id) as session:
            issued = await issuer.issue(session, tenant_id, name="shared", scopes=["*"])
        headers = {"Authorization": f"Bearer {issued.token}", "X-Perscom-Id": str(tenant_id)}
        statuses = [
            (await http.get(f"/v1/users/{user_id}", headers=headers)).status_code
            for _ in range(LIMIT + 4)
        ]
    assert transport.served == [(LIMIT + 4) // 2] * 2
    # Each instance alone saw 7 requests: only a shared counter refuses the 11th.
    assert statuses == [200] * LIMIT + [429] * 4


async def test_a_percolate_token_limit_holds_across_instances_on_redis(
    settings: Settings, sessions: async_sessionmaker[AsyncSession], migrated: None
) -> None:
    from tenantry.percolate.oauth.cli import create_oauth_client, create_token

    shared = settings.model_copy(update={"redis_url": REDIS_URL})
    faces: Callable[[], list[Face]] = lambda: [PercolateFace(token_rate=f"{LIMIT}/minute")]  # noqa: E731
    async with balanced(shared, faces) as (http, transport):
        tenant_id, user_id = await _admin(sessions)
        client = await create_oauth_client(
            shared,
            sessions,
            tenant_id=tenant_id,
            name="shared",
            redirect_uri="https://c.example/cb",
        )
        token = await create_token(
            shared, sessions, tenant_id=tenant_id, user_id=user_id, client_id=client["client_id"]
        )
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        statuses = [
            (await http.get("/api/v5/me", headers=headers)).status_code for _ in range(LIMIT + 4)
        ]
    assert transport.served == [(LIMIT + 4) // 2] * 2
    assert statuses == [200] * LIMIT + [429] * 4


async def test_short_link_clicks_add_up_across_instances(
    settings: Settings, make_desk: Callable[[], Awaitable[Desk]], migrated: None
) -> None:
    from tests.percolate.link.test_links import LINKS_SCHEMA, PLAIN, TEXT

    async with balanced(settings, lambda: [WebFace(), percolate.face]) as (http, transport):
        desk = await make_desk()
        schema = await make_schema(http, desk.admin, **LINKS_SCHEMA)
        post = await make_post(http, desk, schema["id"], ext={"message": TEXT, "links": [PLAIN]})
        code = post["ext"]["links"][0]["short_url"].rpartition("/l/")[2]
        before = list(transport.served)
        for _ in range(6):
            assert (await http.get(f"/l/{code}")).status_code == 302
        assert [now - then for now, then in zip(transport.served, before, strict=True)] == [3, 3]
        link = await http.get(f"/api/v5/link/{post['link_ids'][0]}", headers=desk.admin.headers)
    assert link.json()["data"]["clicks"] == 6


async def test_sign_in_on_one_instance_consent_on_the_other_percolate(
    settings: Settings, sessions: async_sessionmaker[AsyncSession], migrated: None
) -> None:
    people = percolate_oauth.People(settings, sessions)
    async with balanced(settings, lambda: [WebFace(), percolate.face]) as (http, transport):
        tenant = await people.tenant()
        person: Person = await people.user(tenant)
        client = await people.client(tenant)
        # Every step (login page, login post, authorize page, consent post, token) lands on
        # the instance the previous one did not: cookies signed by one are checked by the other.
        token = await percolate_oauth.issued_token(http, client, person)
        me = await percolate_oauth.me(http, token["access_token"])
    assert me.status_code == 200, me.text
    assert min(transport.served) >= 3


async def test_sign_in_on_one_instance_consent_on_the_other_perscom(
    settings: Settings, sessions: async_sessionmaker[AsyncSession], migrated: None
) -> None:
    orgs = perscom_oauth.Orgs(settings, sessions)
    async with balanced(settings, lambda: [WebFace(), PerscomFace()]) as (http, transport):
        tenant = await orgs.tenant()
        person = await orgs.person(tenant)
        client = await orgs.client(tenant)
        tokens = await perscom_oauth.tokens_for(http, client, person)
        me = await http.get(
            "/oauth/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
        )
    assert me.status_code == 200, me.text
    assert min(transport.served) >= 3
