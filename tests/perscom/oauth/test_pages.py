"""The tenant admin's OAuth clients page: register (secret once), list, revoke; members
without ``manage:api`` are refused; each tenant sees only its own clients."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from tests.perscom.oauth_support import REDIRECT_URI, Client, Orgs, tokens_for
from tests.signin import PASSWORD, Person, csrf_of, sign_in

from tenantry.core.identity import service as identity
from tenantry.core.tenancy import tenant_session

pytestmark = pytest.mark.anyio

PAGE = "/settings/perscom-clients"


async def test_an_admin_registers_lists_and_revokes(client: httpx.AsyncClient, orgs: Orgs) -> None:
    tenant = await orgs.tenant()
    admin = await orgs.person(tenant)
    await sign_in(client, admin, next_path=PAGE)
    page = await client.get(PAGE)
    assert page.status_code == 200 and "No OAuth clients" in page.text
    made = await client.post(
        PAGE,
        data={
            "csrf_token": csrf_of(page.text),
            "name": "Zapier <Z>",
            "redirect_uris": REDIRECT_URI + "\n",
            "grant_types": ["authorization_code", "refresh_token"],
            "scopes": "view:user create:user",
        },
    )
    assert made.status_code == 200, made.text
    client_id = re.search(r'id="new-client-id">([^<]+)<', made.text)
    secret = re.search(r'id="new-client-secret">([^<]+)<', made.text)
    assert client_id and secret and "Zapier &lt;Z&gt;" in made.text
    app_client = Client(tenant, client_id.group(1), secret.group(1), REDIRECT_URI)
    token = await tokens_for(client, app_client, admin)
    assert token["scope"] == "view:user create:user"
    listed = await client.get(PAGE)
    assert app_client.client_id in listed.text and secret.group(1) not in listed.text
    bad = await client.post(
        PAGE,
        data={
            "csrf_token": csrf_of(listed.text),
            "name": "X",
            "redirect_uris": "http://a.example/",
        },
    )
    assert bad.status_code == 400 and "https" in bad.text
    revoked = await client.post(
        f"{PAGE}/{app_client.client_id}/revoke", data={"csrf_token": csrf_of(listed.text)}
    )
    assert revoked.status_code == 303
    refused = await client.post(
        "/oauth/token",
        json=app_client.body(grant_type="refresh_token", refresh_token=token["refresh_token"]),
    )
    assert refused.json()["error"] == "invalid_client"


async def test_members_without_manage_api_and_other_tenants_see_nothing(
    client: httpx.AsyncClient, orgs: Orgs
) -> None:
    tenant_a, tenant_b = await orgs.tenant(), await orgs.tenant()
    theirs = await orgs.client(tenant_a)
    email = f"member-{uuid.uuid4().hex[:8]}@example.org"
    async with tenant_session(orgs.sessions, tenant_b) as session:
        user = await identity.create_user(
            session, email=email, name="Mo Member", password=PASSWORD, roles=["member"]
        )
    member = Person(tenant_b, user.id, email)
    await sign_in(client, member, next_path=PAGE)
    assert (await client.get(PAGE)).status_code == 403
    admin_b = await orgs.person(tenant_b)
    client.cookies.clear()
    await sign_in(client, admin_b, next_path=PAGE)
    page = await client.get(PAGE)
    assert page.status_code == 200 and theirs.client_id not in page.text
    foreign = await client.post(
        f"{PAGE}/{theirs.client_id}/revoke", data={"csrf_token": csrf_of(page.text)}
    )
    assert foreign.status_code == 404
