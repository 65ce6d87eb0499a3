"""OAuth clients, codes and tokens of one tenant are invisible to another."""

from __future__ import annotations

import httpx
import pytest
from tests.perscom.conftest import bearer
from tests.perscom.oauth_support import Orgs, authorize, exchange, tokens_for

from tenantry.core.tenancy import tenant_session
from tenantry.perscom.oauth import clients

pytestmark = pytest.mark.anyio


async def test_nothing_crosses_tenants(
    client: httpx.AsyncClient, orgs: Orgs, sessions: object
) -> None:
    tenant_a, tenant_b = await orgs.tenant(), await orgs.tenant()
    person_a = await orgs.person(tenant_a)
    client_a = await orgs.client(tenant_a)
    client_b = await orgs.client(tenant_b)
    query = await authorize(client, client_a, person_a)
    # B's client cannot redeem A's code, nor refresh or revoke A's tokens.
    stolen = await exchange(client, client_b, query["code"])
    assert stolen.status_code == 400 and stolen.json()["error"] == "invalid_grant"
    token = (await exchange(client, client_a, query["code"])).json()
    refresh = await client.post(
        "/oauth/token",
        json=client_b.body(grant_type="refresh_token", refresh_token=token["refresh_token"]),
    )
    assert refresh.status_code == 400
    await client.post("/oauth/revoke", data=client_b.body(token=token["access_token"]))
    assert (
        await client.get("/v1/me", headers=bearer(token["access_token"], tenant_a))
    ).status_code == 200
    # Each tenant lists only its own clients.
    async with tenant_session(sessions, tenant_b) as session:  # type: ignore[arg-type]
        listed = [c.client_uuid for c in await clients.list_clients(session)]
    assert listed == [client_b.client_id]
    # A token of A reads A's users only, even at B's PERSCOM ID.
    assert (
        await client.get("/v1/users", headers=bearer(token["access_token"], tenant_b))
    ).status_code == 401
    again = await tokens_for(client, client_a, person_a)
    users = await client.get("/v1/users", headers=bearer(again["access_token"]))
    assert {row["id"] for row in users.json()["data"]} == {person_a.user_id}
