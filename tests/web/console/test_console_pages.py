"""The admin console over HTTP: who may enter, API keys, webhooks with their delivery log
and replays, users (invite, roles, disable, two-factor reset), the organisation's name,
CSRF, and tenant isolation."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.core.webhooks.test_webhooks import Receiver, eventually, running_worker
from tests.percolate.support.oauth import People, client_for
from tests.signin import PASSWORD, Person, csrf_of, sign_in

from tenantry.core.identity import two_factor
from tenantry.core.identity.models import User
from tenantry.core.jobs import Job
from tenantry.core.mail_jobs import MAIL_JOB
from tenantry.core.tenancy import Tenant, tenant_session
from tenantry.core.webhooks import DELIVERY_JOB
from tenantry.settings import Settings

pytestmark = pytest.mark.anyio

Sessions = async_sessionmaker[AsyncSession]
TOKEN = re.compile(r'<textarea id="new-key"[^>]*>([^<]+)</textarea>')


async def admin_of(people: People, http: httpx.AsyncClient) -> Person:
    tenant = await people.tenant()
    admin = await people.user(tenant, roles=("admin",), name="Grace Admin")
    await sign_in(http, admin, "/console/")
    return admin


async def post(http: httpx.AsyncClient, page: str, action: str, **fields: object) -> httpx.Response:
    """Submit a form as the browser would: read the page's CSRF token, post the fields."""
    shown = await http.get(page)
    assert shown.status_code == 200, shown.text
    data = {"csrf_token": csrf_of(shown.text), **fields}
    return await http.post(action, data=data)  # type: ignore[arg-type]


async def test_only_signed_in_admins_enter(http: httpx.AsyncClient, people: People) -> None:
    tenant = await people.tenant()
    member = await people.user(tenant)

    anonymous = await http.get("/console/api-keys")
    await sign_in(http, member)
    refused = await http.get("/console/")

    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/login?next=%2Fconsole%2Fapi-keys")
    assert refused.status_code == 403
    assert "for the organisation&#39;s admins" in refused.text


async def test_pages_carry_the_console_csp_and_a_2fa_admin_signs_in_through_totp(
    http: httpx.AsyncClient, people: People
) -> None:
    tenant = await people.tenant()
    admin = await people.user(tenant, roles=("admin",), two_factor_on=True)
    await sign_in(http, admin, "/console/")

    for path in ("/console/", "/console/api-keys", "/console/webhooks", "/console/users"):
        page = await http.get(path)
        assert page.status_code == 200, (path, page.text)
        csp = page.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "default-src 'none'" in csp
        assert page.headers["x-frame-options"] == "DENY"
    script = await http.get("/web/console.js")
    assert script.status_code == 200 and "clipboard" in script.text


async def test_create_use_and_revoke_an_api_key(http: httpx.AsyncClient, people: People) -> None:
    admin = await admin_of(people, http)

    created = await post(
        http,
        "/console/api-keys",
        "/console/api-keys",
        name="Roster sync",
        scopes=["view:user", "view:rank"],
        expiry="30",
    )
    assert created.status_code == 200, created.text
    match = TOKEN.search(created.text)
    assert match, "the new key is shown"
    token = match.group(1).strip()
    api = {"Authorization": f"Bearer {token}", "X-Perscom-Id": str(admin.tenant_id)}
    assert (await http.get("/v2/users", headers=api)).status_code == 200
    assert (await http.get("/v2/awards", headers=api)).status_code == 403

    listing = await http.get("/console/api-keys")
    assert "Roster sync" in listing.text and token not in listing.text
    key_id = re.search(r'href="/console/api-keys/(\d+)/revoke"', listing.text)
    assert key_id
    confirm = await http.get(f"/console/api-keys/{key_id.group(1)}/revoke")
    assert "Revoke the key Roster sync?" in confirm.text
    revoked = await http.post(
        f"/console/api-keys/{key_id.group(1)}/revoke", data={"csrf_token": csrf_of(confirm.text)}
    )
    assert revoked.status_code == 303
    assert (await http.get("/v2/users", headers=api)).status_code == 401
    assert "Revoked" in (await http.get("/console/api-keys")).text


async def test_bad_key_forms_are_refused_on_the_page(
    http: httpx.AsyncClient, people: People
) -> None:
    await admin_of(people, http)

    no_scope = await post(http, "/console/api-keys", "/console/api-keys", name="x", expiry="30")
    bad_scope = await post(
        http,
        "/console/api-keys",
        "/console/api-keys",
        name="x",
        scopes=["view:nothing"],
        expiry="30",
    )
    bad_expiry = await post(
        http, "/console/api-keys", "/console/api-keys", name="x", scopes="*", expiry="9"
    )
    no_csrf = await http.post("/console/api-keys", data={"name": "x", "scopes": "*"})

    assert no_scope.status_code == 400 and "at least one scope" in no_scope.text
    assert bad_scope.status_code == 400 and "view:nothing" in bad_scope.text
    assert bad_expiry.status_code == 400 and "Choose an expiry" in bad_expiry.text
    assert no_csrf.status_code == 403 and no_csrf.headers["content-type"].startswith("text/html")


async def test_webhook_test_event_delivery_log_and_replay(
    http: httpx.AsyncClient,
    people: People,
    receiver: Receiver,
    settings: Settings,
    sessions: Sessions,
) -> None:
    admin = await admin_of(people, http)
    refused = await post(
        http,
        "/console/webhooks",
        "/console/webhooks",
        url="ftp://example.org/",
        events=["user.created"],
    )
    assert refused.status_code == 400 and "valid URL" in refused.text

    created = await post(
        http,
        "/console/webhooks",
        "/console/webhooks",
        url=receiver.url,
        method="post",
        events=["user.created"],
        description="Roster bot",
    )
    assert created.status_code == 303, created.text
    hook_page = created.headers["location"].split("?")[0]
    receiver.script = [500]
    tested = await post(http, hook_page, f"{hook_page}/test")
    assert tested.status_code == 303

    private = settings.model_copy(update={"allow_private_webhooks": True})

    async def delivered(count: int) -> bool:
        async with sessions() as session:
            jobs = list(
                await session.scalars(
                    select(Job).where(Job.kind == DELIVERY_JOB, Job.tenant_id == admin.tenant_id)
                )
            )
        return len(jobs) == count and all(job.state == "succeeded" for job in jobs)

    async with running_worker(private, sessions):
        await eventually(lambda: delivered(1))
    log = await http.get(hook_page)
    assert "webhook.test" in log.text
    assert "<strong>success</strong>, HTTP 200" in log.text
    assert "<strong>retry</strong>, HTTP 500" in log.text
    assert "&#34;status&#34;: 200" in log.text or "&#34;status&#34;:200" in log.text
    attempt = re.search(rf'href="{hook_page}/deliveries/(\d+)/replay"', log.text)
    assert attempt

    confirm = await http.get(f"{hook_page}/deliveries/{attempt.group(1)}/replay")
    assert "Replay delivery" in confirm.text
    replayed = await http.post(
        f"{hook_page}/deliveries/{attempt.group(1)}/replay",
        data={"csrf_token": csrf_of(confirm.text)},
    )
    assert replayed.status_code == 303
    async with running_worker(private, sessions):
        await eventually(lambda: delivered(2))
    assert receiver.count() == 3
    assert receiver.received[2].body == receiver.received[1].body
    assert "(replay)" in (await http.get(hook_page)).text

    edited = await post(
        http,
        hook_page,
        hook_page,
        url=receiver.url,
        method="get",
        events=["user.created", "user.deleted"],
        description="",
    )
    assert edited.status_code == 303
    assert "user.created, user.deleted" in (await http.get(hook_page)).text
    deleted = await post(http, f"{hook_page}/delete", f"{hook_page}/delete")
    assert deleted.status_code == 303
    assert (await http.get(hook_page)).status_code == 404


async def test_invite_accept_and_sign_in(
    http: httpx.AsyncClient, people: People, sessions: Sessions, console_app: FastAPI
) -> None:
    admin = await admin_of(people, http)
    email = f"new-{admin.user_id}@example.org"

    invited = await post(
        http, "/console/users", "/console/users/invite", email=email, name="Ada", role="member"
    )
    again = await post(
        http, "/console/users", "/console/users/invite", email=email, name="Ada", role="member"
    )
    bad = await post(
        http, "/console/users", "/console/users/invite", email="nope", name="", role="member"
    )

    assert invited.status_code == 303
    assert again.status_code == 400 and "already exists" in again.text
    assert bad.status_code == 400 and "not valid" in bad.text
    async with sessions() as session:
        mail = await session.scalar(
            select(Job)
            .where(Job.kind == MAIL_JOB, Job.tenant_id == admin.tenant_id)
            .order_by(Job.id.desc())
        )
    assert mail is not None and mail.payload["to"] == [email]
    link = re.search(r"http://\S+/invitation\?token=\S+", mail.payload["text"])
    assert link
    assert "Invited" in (await http.get("/console/users")).text

    async with client_for(console_app) as invitee_browser:
        path = link.group(0).split("/", 3)[3]
        form = await invitee_browser.get("/" + path)
        assert form.status_code == 200 and email in form.text
        token = path.split("token=", 1)[1]
        short = await invitee_browser.post(
            "/invitation",
            data={
                "csrf_token": csrf_of(form.text),
                "token": token,
                "password": "short",
                "confirm": "short",
            },
        )
        assert short.status_code == 400
        done = await invitee_browser.post(
            "/invitation",
            data={
                "csrf_token": csrf_of(form.text),
                "token": token,
                "password": PASSWORD,
                "confirm": PASSWORD,
            },
        )
        assert done.status_code == 200 and "Your password is set" in done.text
        used = await invitee_browser.get("/" + path)
        assert used.status_code == 400
        async with tenant_session(sessions, admin.tenant_id) as session:
            user_id = await session.scalar(select(User.id).where(User.email == email))
        assert user_id is not None
        await sign_in(invitee_browser, Person(admin.tenant_id, user_id, email))
        assert (await invitee_browser.get("/console/")).status_code == 403


async def test_roles_disable_and_two_factor_reset(
    http: httpx.AsyncClient, people: People, sessions: Sessions, console_app: FastAPI
) -> None:
    admin = await admin_of(people, http)
    other = await people.user(admin.tenant_id, two_factor_on=True, name="Lin Member")
    page = f"/console/users/{other.user_id}"
    shown = await http.get(page)
    admin_role = re.search(r'name="roles" value="(\d+)"> admin', shown.text)
    assert admin_role

    promoted = await post(http, page, f"{page}/roles", roles=[admin_role.group(1)])
    assert promoted.status_code == 303
    async with client_for(console_app) as theirs:
        await sign_in(theirs, other, "/console/")
        assert (await theirs.get("/console/")).status_code == 200

        reset = await post(http, f"{page}/reset-two-factor", f"{page}/reset-two-factor")
        assert reset.status_code == 303
        async with tenant_session(sessions, admin.tenant_id) as session:
            assert not await two_factor.is_enabled(session, other.user_id)

        disabled = await post(http, f"{page}/disable", f"{page}/disable")
        assert disabled.status_code == 303
        assert (await theirs.get("/console/")).status_code == 303  # signed out at once
    assert "Disabled" in (await http.get("/console/users")).text
    enabled = await post(http, page, f"{page}/enable")
    assert enabled.status_code == 303

    own = f"/console/users/{admin.user_id}"
    selfish = await post(http, own, f"{own}/disable")
    kept = await post(http, own, f"{own}/roles")  # unticking everything keeps admin
    assert "You cannot disable yourself" in selfish.text
    assert kept.status_code == 303
    assert (await http.get("/console/")).status_code == 200


async def test_organisation_settings_show_in_perscom(
    http: httpx.AsyncClient, people: People, sessions: Sessions
) -> None:
    admin = await admin_of(people, http)
    fields = {
        "name": "3rd Fleet",
        "organization.email": "ops@fleet.example",
        "organization.timezone": "Europe/London",
        "dashboard.title": "Fleet HQ",
        "dashboard.subtitle": "",
    }
    page = "/console/organization"

    blank = await post(http, page, page, **{**fields, "name": "  "})
    bad_zone = await post(http, page, page, **{**fields, "organization.timezone": "Mars/Base"})
    saved = await post(http, page, page, **fields)

    assert blank.status_code == 400
    assert bad_zone.status_code == 400 and "not a time zone" in bad_zone.text
    assert saved.status_code == 303
    async with sessions() as session:
        tenant = await session.get(Tenant, admin.tenant_id)
    assert tenant is not None and tenant.name == "3rd Fleet"
    shown = await http.get(page)
    assert 'value="Europe/London"' in shown.text and 'value="Fleet HQ"' in shown.text

    key = await post(
        http, "/console/api-keys", "/console/api-keys", name="s", scopes="*", expiry="30"
    )
    token = TOKEN.search(key.text)
    assert token
    api = {
        "Authorization": f"Bearer {token.group(1).strip()}",
        "X-Perscom-Id": str(admin.tenant_id),
    }
    rows = (await http.get("/v2/settings", params={"limit": 100}, headers=api)).json()["data"]
    values = {(row["group"], row["name"]): row["payload"] for row in rows}
    assert values[("organization", "name")] == "3rd Fleet"
    assert values[("organization", "email")] == "ops@fleet.example"
    assert values[("organization", "timezone")] == "Europe/London"
    assert values[("dashboard", "title")] == "Fleet HQ"
    assert values[("dashboard", "subtitle")] is None

    cleared = await post(http, page, page, **{**fields, "organization.email": ""})
    assert cleared.status_code == 303
    rows = (await http.get("/v2/settings", params={"limit": 100}, headers=api)).json()["data"]
    email = next(r["payload"] for r in rows if (r["group"], r["name"]) == ("organization", "email"))
    assert email == admin.email  # back to the derived value


async def test_lists_are_paged(http: httpx.AsyncClient, people: People) -> None:
    admin = await admin_of(people, http)
    for _ in range(21):
        await people.user(admin.tenant_id)

    first = await http.get("/console/users")
    second = await http.get("/console/users?page=2")
    beyond = await http.get("/console/users?page=99")
    nonsense = await http.get("/console/users?page=-1")

    assert "Page 1 of 2" in first.text and 'href="?page=2"' in first.text
    rows = re.findall(r'href="/console/users/\d+"', second.text)
    assert "Page 2 of 2" in second.text and len(rows) == 2
    assert "Page 2 of 2" in beyond.text
    assert "Page 1 of 2" in nonsense.text


async def test_admins_reach_only_their_own_tenant(
    http: httpx.AsyncClient, people: People, console_app: FastAPI, receiver: Receiver
) -> None:
    admin = await admin_of(people, http)
    created = await post(
        http,
        "/console/webhooks",
        "/console/webhooks",
        url=receiver.url,
        events=["user.created"],
    )
    hook_page = created.headers["location"].split("?")[0]
    key = await post(
        http, "/console/api-keys", "/console/api-keys", name="Mine", scopes="*", expiry="never"
    )
    key_id = re.search(r'href="/console/api-keys/(\d+)/revoke"', key.text)
    assert key_id

    async with client_for(console_app) as intruder:
        await admin_of(people, intruder)
        webhook = await intruder.get(hook_page)
        user = await intruder.get(f"/console/users/{admin.user_id}")
        revoke = await post(
            intruder,
            "/console/api-keys",
            f"/console/api-keys/{key_id.group(1)}/revoke",
        )
        disable = await post(intruder, "/console/users", f"/console/users/{admin.user_id}/disable")
        listing = await intruder.get("/console/api-keys")

    assert webhook.status_code == 404
    assert user.status_code == 404
    assert revoke.status_code == 404
    assert disable.status_code == 404
    assert "Mine" not in listing.text
    assert "Active" in (await http.get("/console/api-keys")).text


async def perscom_client(people: People, tenant_id: int) -> tuple[str, str]:
    from tenantry.perscom.oauth import clients

    box = clients.client_secret_box(people.settings)
    async with tenant_session(people.sessions, tenant_id) as session:
        client, secret = await clients.create_client(
            session,
            box,
            name="Zapier",
            redirect_uris=["https://zapier.example/callback"],
            grant_types=["client_credentials"],
        )
        return client.client_uuid, secret


async def client_token(http: httpx.AsyncClient, client_id: str, secret: str) -> int:
    response = await http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )
    return response.status_code


async def test_perscom_client_secret_behind_a_fresh_totp_then_revoke(
    http: httpx.AsyncClient, people: People
) -> None:
    tenant = await people.tenant()
    admin = await people.user(tenant, roles=("admin",), two_factor_on=True)
    await sign_in(http, admin, "/console/")
    client_id, secret = await perscom_client(people, tenant)
    page = f"/console/oauth-clients/perscom/{client_id}"
    assert client_id in (await http.get("/console/oauth-clients")).text

    wrong = await post(http, page, f"{page}/secret", code="000000")
    shown = await post(http, page, f"{page}/secret", code=admin.totp())
    assert wrong.status_code == 400 and "not right" in wrong.text and secret not in wrong.text
    assert shown.status_code == 200 and f'value="{secret}"' in shown.text

    reset = await post(http, page, f"{page}/reset-secret", code=admin.totp())
    fresh = re.search(r'id="client-secret" class="secret" readonly value="([^"]+)"', reset.text)
    assert reset.status_code == 200 and fresh and fresh.group(1) != secret
    assert await client_token(http, client_id, secret) == 401
    assert await client_token(http, client_id, fresh.group(1)) == 200

    revoked = await post(http, f"{page}/revoke", f"{page}/revoke")
    assert revoked.status_code == 303
    assert "Revoked" in (await http.get(page)).text
    assert await client_token(http, client_id, fresh.group(1)) in (400, 401)


async def test_perscom_client_secret_needs_two_factor_and_the_own_tenant(
    http: httpx.AsyncClient, people: People, console_app: FastAPI
) -> None:
    admin = await admin_of(people, http)  # no two-factor
    client_id, secret = await perscom_client(people, admin.tenant_id)
    page = f"/console/oauth-clients/perscom/{client_id}"

    refused = await post(http, page, f"{page}/secret", code="123456")
    assert refused.status_code == 400 and "Turn on two-factor" in refused.text
    assert secret not in refused.text

    async with client_for(console_app) as intruder:
        await admin_of(people, intruder)
        assert (await intruder.get(page)).status_code == 404
        revoke = await post(intruder, "/console/", f"{page}/revoke")
        assert revoke.status_code == 404
