"""A token, key or session of tenant A never reaches tenant B's data (both engines)."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.percolate.support.oauth import People, csrf_of, issued_token, me, sign_in
from tests.signin import CSRF

from tenantry.core.errors import NotFound
from tenantry.percolate.oauth.apikeys import create_api_key
from tenantry.percolate.oauth.cli import create_token
from tenantry.settings import Settings

pytestmark = pytest.mark.anyio


def retarget(credential: str, tenant_id: int) -> str:
    """The same secret part, claiming another tenant."""
    return f"{tenant_id}.{credential.split('.', 1)[1]}"


async def test_tokens_and_keys_only_ever_open_their_own_tenant(
    http: httpx.AsyncClient, people: People, sessions: async_sessionmaker[AsyncSession]
) -> None:
    a, b = await people.tenant(), await people.tenant()
    ann, bob = await people.user(a), await people.user(b)
    client_a = await people.client(a)
    token = await issued_token(http, client_a, ann)
    from tenantry.core.tenancy import tenant_session

    async with tenant_session(sessions, a) as session:
        _row, key = await create_api_key(session, ann.user_id, "script")

    own = await me(http, token["access_token"])
    assert own.json()["data"]["id"] == f"user:{ann.user_id}"
    assert token["authorized_tenant_id"] == f"account:{a}"
    assert (await me(http, retarget(token["access_token"], b))).status_code == 401
    assert (
        await http.get("/api/v5/me", headers={"Authorization": retarget(key, b)})
    ).status_code == 401
    assert bob.user_id != ann.user_id


async def test_a_client_cannot_be_used_for_another_tenants_user(
    settings: Settings, people: People, sessions: async_sessionmaker[AsyncSession]
) -> None:
    a, b = await people.tenant(), await people.tenant()
    bob = await people.user(b)
    client_a = await people.client(a)

    with pytest.raises(NotFound):
        await create_token(
            settings, sessions, tenant_id=a, user_id=bob.user_id, client_id=client_a.client_id
        )
    with pytest.raises(NotFound):
        await create_token(
            settings, sessions, tenant_id=b, user_id=bob.user_id, client_id=client_a.client_id
        )


async def test_pages_show_and_touch_only_the_signed_in_tenant(
    http: httpx.AsyncClient, people: People
) -> None:
    a, b = await people.tenant(), await people.tenant()
    ann = await people.user(a)
    admin_b = await people.user(b, roles=("admin",), two_factor_on=True)
    client_a = await people.client(a, name="Alpha secret app")
    token = await issued_token(http, client_a, ann)

    async with httpx.AsyncClient(transport=http._transport, base_url="http://testserver") as other:
        await sign_in(other, admin_b)
        listing = await other.get("/settings/applications")
        assert listing.status_code == 200
        assert "Alpha secret app" not in listing.text
        client_key = client_a.client_id.split(":")[1]
        assert (await other.get(f"/settings/applications/{client_key}")).status_code == 404
        connected = await other.get("/settings/connected-applications")
        assert CSRF.search(connected.text)
        token_key = token["id"].split(":")[1]
        refused = await other.post(
            f"/settings/connected-applications/{token_key}/disable",
            data={"csrf_token": csrf_of(connected.text)},
        )
        assert refused.status_code == 404
    assert (await me(http, token["access_token"])).status_code == 200
