"""Client registration (admins and client managers with two-factor), secrets, API keys pages."""

from __future__ import annotations

import re

import httpx
import pytest
from tests.percolate.support.oauth import (
    TOKEN_URL,
    Client,
    People,
    csrf_of,
    form_dance,
    sign_in,
)

from tenantry.percolate.oauth.models import OAuthClient

pytestmark = pytest.mark.anyio

HOSTILE = '<img src=x onerror="alert(1)">'
ESCAPED = "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;"


async def count_clients(people: People, tenant: int) -> int:
    from sqlalchemy import func, select

    from tenantry.core.tenancy import tenant_session

    async with tenant_session(people.sessions, tenant) as session:
        return int(await session.scalar(select(func.count()).select_from(OAuthClient)) or 0)


async def test_registration_is_refused_without_the_role(
    http: httpx.AsyncClient, people: People
) -> None:
    tenant = await people.tenant()
    member = await people.user(tenant, roles=("member",), two_factor_on=True)
    await sign_in(http, member)

    page = await http.get("/settings/applications")
    index = await http.get("/settings")
    posted = await http.post(
        "/settings/applications",
        data={"csrf_token": csrf_of(index.text), "name": "X", "redirect_uri": "https://x.org/cb"},
    )

    assert page.status_code == 403
    assert "Only a system admin or an integration client manager" in page.text
    assert 'href="/settings/applications"' not in index.text
    assert posted.status_code == 403
    assert await count_clients(people, tenant) == 0


async def test_registration_is_refused_without_two_factor(
    http: httpx.AsyncClient, people: People
) -> None:
    tenant = await people.tenant()
    admin = await people.user(tenant, roles=("admin",))
    await sign_in(http, admin)

    page = await http.get("/settings/applications")
    posted = await http.post(
        "/settings/applications",
        data={"csrf_token": csrf_of(page.text), "name": "X", "redirect_uri": "https://x.org/cb"},
    )

    assert page.status_code == 403
    assert "Turn on two-factor authentication" in page.text
    assert 'href="/settings/two-factor"' in page.text
    assert posted.status_code == 403
    assert await count_clients(people, tenant) == 0


@pytest.mark.parametrize(
    ("name", "redirect_uri", "message"),
    [
        ("", "https://x.org/cb", "needs a name"),
        ("App", "http://x.org/cb", "must use https"),
        ("App", "https://x.org/cb#frag", "fragment"),
        ("App", "not a url", "absolute URL"),
        ("App", "https://user:pw@x.org/cb", "credentials"),
        ("A" * 101, "https://x.org/cb", "longer than 100"),
    ],
    ids=["no-name", "plain-http", "fragment", "not-url", "credentials", "long-name"],
)
async def test_bad_registrations_are_explained_and_store_nothing(
    http: httpx.AsyncClient, people: People, name: str, redirect_uri: str, message: str
) -> None:
    tenant = await people.tenant()
    admin = await people.user(tenant, roles=("admin",), two_factor_on=True)
    await sign_in(http, admin)
    page = await http.get("/settings/applications")

    response = await http.post(
        "/settings/applications",
        data={"csrf_token": csrf_of(page.text), "name": name, "redirect_uri": redirect_uri},
    )

    assert response.status_code == 400
    assert message in response.text
    assert await count_clients(people, tenant) == 0


async def test_register_show_and_reset_the_secret_with_fresh_codes(
    http: httpx.AsyncClient, people: People
) -> None:
    tenant = await people.tenant()
    admin = await people.user(tenant, roles=("admin",), two_factor_on=True)
    await sign_in(http, admin)  # spends one TOTP code
    page = await http.get("/settings/applications")

    registered = await http.post(
        "/settings/applications",
        data={
            "csrf_token": csrf_of(page.text),
            "name": HOSTILE,
            "redirect_uri": "https://app.example.org/cb",
        },
    )
    assert registered.status_code == 303
    detail = await http.get(registered.headers["location"])
    assert detail.status_code == 200
    assert ESCAPED in detail.text and HOSTILE not in detail.text
    client_id = re.search(r'id="client-id">(client:\d+)<', detail.text)
    assert client_id
    # The client id sits right under the application's name.
    assert detail.text.index('id="client-name"') < detail.text.index('id="client-id"')
    assert 'id="client-secret"' not in detail.text
    listing = await http.get("/settings/applications")
    assert ESCAPED in listing.text and HOSTILE not in listing.text

    action = registered.headers["location"].split("?")[0]
    wrong = await http.post(
        f"{action}/secret", data={"csrf_token": csrf_of(detail.text), "code": "123456"}
    )
    assert wrong.status_code == 400
    assert 'id="client-secret"' not in wrong.text
    assert "two-factor code is not right" in wrong.text

    shown = await http.post(
        f"{action}/secret", data={"csrf_token": csrf_of(detail.text), "code": admin.totp()}
    )
    secret = re.search(r'id="client-secret">([^<]+)<', shown.text)
    assert shown.status_code == 200 and secret
    assert shown.headers["cache-control"] == "no-store"
    client = Client(tenant, client_id.group(1), secret.group(1), "https://app.example.org/cb")

    code = (await form_dance(http, client, admin))["code"]
    reset = await http.post(
        f"{action}/reset-secret", data={"csrf_token": csrf_of(detail.text), "code": admin.totp()}
    )
    new_secret = re.search(r'id="client-secret">([^<]+)<', reset.text)
    assert reset.status_code == 200 and new_secret
    assert new_secret.group(1) != client.secret

    old = await http.post(
        TOKEN_URL, data={"grant_type": "authorization_code", "code": code}, headers=client.basic()
    )
    assert old.status_code == 401
    client.secret = new_secret.group(1)
    fresh = await http.post(
        TOKEN_URL, data={"grant_type": "authorization_code", "code": code}, headers=client.basic()
    )
    assert fresh.status_code == 200, fresh.text

    # The hostile name is escaped on the consent and connected-applications pages too.
    consent = await http.get(
        f"/auth/oauth2?response_type=code&client_id={client.client_id}&state=s"
    )
    assert ESCAPED in consent.text and HOSTILE not in consent.text
    connected = await http.get("/settings/connected-applications")
    assert ESCAPED in connected.text and HOSTILE not in connected.text


async def test_integration_client_manager_role_may_register(
    http: httpx.AsyncClient, people: People
) -> None:
    from sqlalchemy import select

    from tenantry.core.identity.models import Role, RolePermission, UserRole
    from tenantry.core.tenancy import tenant_session

    tenant = await people.tenant()
    manager = await people.user(tenant, roles=("member",), two_factor_on=True)
    async with tenant_session(people.sessions, tenant) as session:
        role = Role(name="client manager")
        session.add(role)
        await session.flush()
        session.add(RolePermission(role_id=role.id, permission="integration:client:manage"))
        session.add(UserRole(user_id=manager.user_id, role_id=role.id))
        assert await session.scalar(select(Role.id).where(Role.name == "client manager"))
    await sign_in(http, manager)

    page = await http.get("/settings/applications")

    assert page.status_code == 200
    assert "Register an application" in page.text


async def test_api_keys_page_creates_shows_once_and_revokes(
    http: httpx.AsyncClient, people: People
) -> None:
    tenant = await people.tenant()
    person = await people.user(tenant)
    await sign_in(http, person)
    page = await http.get("/settings/api-keys")

    created = await http.post(
        "/settings/api-keys", data={"csrf_token": csrf_of(page.text), "name": HOSTILE}
    )
    key = re.search(r'id="new-key">([^<]+)<', created.text)
    assert created.status_code == 200 and key
    assert ESCAPED in created.text and HOSTILE not in created.text
    assert (
        await http.get("/api/v5/me", headers={"Authorization": key.group(1)})
    ).status_code == 200
    listing = await http.get("/settings/api-keys")
    assert key.group(1) not in listing.text
    assert f"…{key.group(1)[-4:]}" in listing.text

    revoke_path = re.search(r'action="(/settings/api-keys/\d+/revoke)"', listing.text)
    assert revoke_path
    revoked = await http.post(revoke_path.group(1), data={"csrf_token": csrf_of(listing.text)})
    assert revoked.status_code == 303
    assert (
        await http.get("/api/v5/me", headers={"Authorization": key.group(1)})
    ).status_code == 401
