"""The console over HTTP for what spans both faces: Percolate webhooks (test event, delivery
log, replay), OAuth clients of both faces registered in the console (Percolate's secret
behind a fresh TOTP, revoked with its tokens), every PERSCOM settings group, and a disabled
user's credentials refused at once by both APIs."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.core.webhooks.test_webhooks import Receiver, eventually, running_worker
from tests.percolate.support.oauth import People, client_for
from tests.signin import csrf_of, sign_in
from tests.web.console.test_console_pages import admin_of, post

from tenantry.core.jobs import Job
from tenantry.core.tenancy import tenant_session
from tenantry.core.webhooks import DELIVERY_JOB
from tenantry.percolate.oauth import service as percolate_oauth
from tenantry.percolate.oauth.apikeys import create_api_key
from tenantry.perscom.apikeys import ApiKeyIssuer
from tenantry.settings import Settings

pytestmark = pytest.mark.anyio

Sessions = async_sessionmaker[AsyncSession]
SECRET_SHOWN = re.compile(r'id="(?:client|hook)-secret" class="secret" readonly value="([^"]+)"')


async def test_percolate_webhook_test_event_log_replay_edit_and_delete(
    http: httpx.AsyncClient,
    people: People,
    receiver: Receiver,
    settings: Settings,
    sessions: Sessions,
    console_app: FastAPI,
) -> None:
    admin = await admin_of(people, http)
    hooks = "/console/percolate-webhooks"
    refused = await post(http, hooks, hooks, url="ftp://example.org/", secret=receiver.secret)
    short = await post(http, hooks, hooks, url=receiver.url, secret="short")
    assert refused.status_code == 400 and "url" in refused.text.lower()
    assert short.status_code == 400 and "secret" in short.text

    generated = await post(http, hooks, hooks, url=receiver.url, events=["post.status_changed"])
    made = SECRET_SHOWN.search(generated.text)
    assert generated.status_code == 200 and made, "a made secret is shown once"
    created = await post(
        http, hooks, hooks, url=receiver.url, secret=receiver.secret, events=["post.status_changed"]
    )
    assert created.status_code == 200 and not SECRET_SHOWN.search(created.text)
    key = re.search(r'action="/console/percolate-webhooks/(\d+)/test"', created.text)
    assert key
    page = f"{hooks}/{key.group(1)}"
    assert made.group(1) not in (await http.get(page)).text  # write-only afterwards

    receiver.script = [500]
    tested = await post(http, page, f"{page}/test")
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
    assert all(got.signature_ok for got in receiver.received)
    log = await http.get(page)
    assert "webhook.test" in log.text
    assert "<strong>success</strong>, HTTP 200" in log.text
    assert "<strong>retry</strong>, HTTP 500" in log.text
    attempt = re.search(rf'href="{page}/deliveries/(\d+)/replay"', log.text)
    assert attempt

    confirm = await http.get(f"{page}/deliveries/{attempt.group(1)}/replay")
    assert "Replay delivery" in confirm.text
    replayed = await http.post(
        f"{page}/deliveries/{attempt.group(1)}/replay", data={"csrf_token": csrf_of(confirm.text)}
    )
    assert replayed.status_code == 303
    async with running_worker(private, sessions):
        await eventually(lambda: delivered(2))
    assert receiver.count() == 3
    assert receiver.received[2].body == receiver.received[1].body
    assert "(replay)" in (await http.get(page)).text

    edited = await post(http, page, page, url=receiver.url + "?v=2", secret="", events=[])
    assert edited.status_code == 303
    assert "?v=2" in (await http.get(page)).text
    log = await http.get(f"/console/audit?resource=percolate_webhooks:{key.group(1)}")
    assert log.status_code == 200 and "<td>update</td>" in log.text
    assert "<code>web_session</code>" in log.text  # the admin's writes are on the record

    async with client_for(console_app) as intruder:
        await admin_of(people, intruder)
        assert (await intruder.get(page)).status_code == 404
        assert page not in (await intruder.get(hooks)).text
        sneaky = await post(intruder, hooks, f"{page}/delete")
        assert sneaky.status_code == 404

    deleted = await post(http, f"{page}/delete", f"{page}/delete")
    assert deleted.status_code == 303
    assert (await http.get(page)).status_code == 404


async def test_oauth_clients_of_both_faces_are_registered_shown_and_revoked(
    http: httpx.AsyncClient, people: People, sessions: Sessions, console_app: FastAPI
) -> None:
    tenant = await people.tenant()
    admin = await people.user(tenant, roles=("admin",), two_factor_on=True)
    member = await people.user(tenant)
    await sign_in(http, admin, "/console/")
    clients = "/console/oauth-clients"

    bad = await post(http, clients, f"{clients}/perscom", name="", grant_types=["nothing"])
    assert bad.status_code == 400 and "Grant types" in bad.text
    perscom = await post(
        http,
        clients,
        f"{clients}/perscom",
        name="Roster bot",
        redirect_uris="https://bot.example/cb\n",
        grant_types=["client_credentials"],
    )
    secret = SECRET_SHOWN.search(perscom.text)
    client_id = re.search(r'<code id="client-id">([^<]+)</code>', perscom.text)
    assert perscom.status_code == 200 and secret and client_id
    token = await http.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": client_id.group(1),
            "client_secret": secret.group(1),
        },
    )
    assert token.status_code == 200, token.text

    no_uri = await post(http, clients, f"{clients}/percolate", name="Reader", redirect_uri="")
    assert no_uri.status_code == 400
    made = await post(
        http, clients, f"{clients}/percolate", name="Reader", redirect_uri="https://r.example/cb"
    )
    first = SECRET_SHOWN.search(made.text)
    key = re.search(r'action="/console/oauth-clients/percolate/(\d+)/secret"', made.text)
    assert made.status_code == 200 and first and key
    page = f"{clients}/percolate/{key.group(1)}"
    listing = await http.get(clients)
    assert "Roster bot" in listing.text and f'href="{page}"' in listing.text
    assert first.group(1) not in (await http.get(page)).text

    wrong = await post(http, page, f"{page}/secret", code="000000")
    shown = await post(http, page, f"{page}/secret", code=admin.totp())
    assert wrong.status_code == 400 and first.group(1) not in wrong.text
    assert SECRET_SHOWN.search(shown.text) and first.group(1) in shown.text
    reset = await post(http, page, f"{page}/reset-secret", code=admin.totp())
    fresh = SECRET_SHOWN.search(reset.text)
    assert fresh and fresh.group(1) != first.group(1)

    box = percolate_oauth.client_secret_box(people.settings)
    async with tenant_session(sessions, tenant) as session:
        issued = await percolate_oauth.issue_token(
            session, box, client_id=key.group(1), user_id=member.user_id
        )
    bearer = {"Authorization": f"Bearer {issued['access_token']}"}
    assert (await http.get("/api/v5/me", headers=bearer)).status_code == 200

    async with client_for(console_app) as intruder:
        await admin_of(people, intruder)
        assert (await intruder.get(page)).status_code == 404
        assert "Reader" not in (await intruder.get(clients)).text

    confirm = await http.get(f"{page}/revoke")
    assert "Revoke Reader?" in confirm.text
    revoked = await http.post(f"{page}/revoke", data={"csrf_token": csrf_of(confirm.text)})
    assert revoked.status_code == 303
    assert (await http.get("/api/v5/me", headers=bearer)).status_code == 401
    assert (await http.get(page)).status_code == 404
    assert f'href="{page}"' not in (await http.get(clients)).text


async def test_percolate_registration_keeps_percolates_two_factor_rule(
    http: httpx.AsyncClient, people: People
) -> None:
    await admin_of(people, http)  # an admin without two-factor
    clients = "/console/oauth-clients"
    refused = await post(
        http, clients, f"{clients}/percolate", name="Reader", redirect_uri="https://r.example/cb"
    )
    assert refused.status_code == 403 and "two-factor" in refused.text


async def test_every_perscom_settings_group_is_edited(
    http: httpx.AsyncClient, people: People
) -> None:
    admin = await admin_of(people, http)
    page = "/console/organization"
    shown = await http.get(page)
    for field in ("registration.enabled", "permission.default_roles", "user.default_status"):
        assert f'name="{field}"' in shown.text
    assert 'name="registration.enabled" checked' in shown.text  # PERSCOM's default: on
    fields = {
        "name": "3rd Fleet",
        "organization.email": "",
        "organization.timezone": "UTC",
        "registration.admin_approval_required": "on",
        "registration.default_roles": "3, 4",
        "dashboard.domain": "hq.fleet.example",
        "permission.default_roles": "User, Officer",
        "permission.default_permissions": "view:user",
        "fields.users": "7",
        "notifications.assignment_records": "mail, database",
        "onboarding.completed": "on",
        "integration.single_sign_on_enabled": "on",
        "user.default_status": "12",
    }
    bad = await post(
        http, page, page, **{**fields, "user.default_status": "x", "dashboard.domain": "a b"}
    )
    assert bad.status_code == 400
    assert "not an id" in bad.text and "not a domain name" in bad.text
    saved = await post(http, page, page, **fields)
    assert saved.status_code == 303

    key = await post(
        http, "/console/api-keys", "/console/api-keys", name="s", scopes="*", expiry="30"
    )
    token = re.search(r'<textarea id="new-key"[^>]*>([^<]+)</textarea>', key.text)
    assert token
    api = {
        "Authorization": f"Bearer {token.group(1).strip()}",
        "X-Perscom-Id": str(admin.tenant_id),
    }
    rows = (await http.get("/v2/settings", params={"limit": 100}, headers=api)).json()["data"]
    values = {(row["group"], row["name"]): row["payload"] for row in rows}
    assert values[("registration", "enabled")] is False  # left unticked
    assert values[("registration", "admin_approval_required")] is True
    assert values[("registration", "default_roles")] == [3, 4]
    assert values[("dashboard", "domain")] == "hq.fleet.example"
    assert values[("permission", "default_roles")] == ["User", "Officer"]
    assert values[("fields", "users")] == [7]
    assert values[("notifications", "assignment_records")] == ["mail", "database"]
    assert values[("notifications", "award_records")] == []
    assert values[("onboarding", "completed")] is True
    assert values[("integration", "single_sign_on_enabled")] is True
    assert values[("user", "default_status")] == 12
    again = await http.get(page)
    assert 'value="User, Officer"' in again.text
    assert 'name="onboarding.completed" checked' in again.text


async def test_disabling_a_user_refuses_their_credentials_on_both_faces(
    http: httpx.AsyncClient, people: People, sessions: Sessions, console_app: FastAPI
) -> None:
    admin = await admin_of(people, http)
    member = await people.user(admin.tenant_id, name="Lin Member")
    other = await people.user(admin.tenant_id, name="Kim Other")
    issuer = ApiKeyIssuer(console_app.state.perscom.keys, people.settings)
    async with tenant_session(sessions, admin.tenant_id) as session:
        perscom_key = await issuer.issue(
            session, admin.tenant_id, name="m", scopes=["*"], user_id=member.user_id
        )
        other_key = await issuer.issue(
            session, admin.tenant_id, name="o", scopes=["*"], user_id=other.user_id
        )
        _, percolate_key = await create_api_key(session, member.user_id, "script")
    client = await people.client(admin.tenant_id)
    box = percolate_oauth.client_secret_box(people.settings)
    async with tenant_session(sessions, admin.tenant_id) as session:
        issued = await percolate_oauth.issue_token(
            session, box, client_id=client.client_id, user_id=member.user_id
        )

    def perscom(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}", "X-Perscom-Id": str(admin.tenant_id)}

    percolate = [
        {"Authorization": percolate_key},  # a Percolate API key is sent bare
        {"Authorization": f"Bearer {issued['access_token']}"},
    ]

    async def answers() -> list[int]:
        codes = [(await http.get("/v2/users", headers=perscom(perscom_key.token))).status_code]
        for headers in percolate:
            codes.append((await http.get("/api/v5/me", headers=headers)).status_code)
        return codes

    assert await answers() == [200, 200, 200]
    page = f"/console/users/{member.user_id}"
    disabled = await post(http, page, f"{page}/disable")
    assert disabled.status_code == 303
    assert await answers() == [401, 401, 401]
    unaffected = await http.get("/v2/users", headers=perscom(other_key.token))
    assert unaffected.status_code == 200
    enabled = await post(http, page, f"{page}/enable")
    assert enabled.status_code == 303
    assert await answers() == [200, 200, 200]
