"""``tenantry apikey create|list|revoke`` and the demo seeder."""

from __future__ import annotations

import json
import re

import anyio
import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner

from tenantry.core.identity import service as identity
from tenantry.perscom.cli import apikey_app
from tenantry.perscom.demo import PEOPLE, seed_demo
from tenantry.settings import Settings

pytestmark = pytest.mark.anyio


def _env(settings: Settings) -> dict[str, str]:
    return {
        "TENANTRY_DATABASE_URL": settings.effective_database_url,
        "TENANTRY_DATA_DIR": str(settings.data_dir),
        "TENANTRY_SECRET_KEY": settings.effective_secret_key,
    }


def _invoke(settings: Settings, *args: str) -> list[dict[str, object]]:
    result = CliRunner().invoke(apikey_app, list(args), env=_env(settings))
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


async def test_apikey_create_list_revoke(
    client: httpx.AsyncClient, make_tenant: object, settings: Settings
) -> None:
    tenant_id = await make_tenant()  # type: ignore[operator]
    created = (
        await anyio.to_thread.run_sync(
            lambda: _invoke(
                settings,
                "create",
                "--tenant",
                str(tenant_id),
                "--name",
                "Zapier",
                "--scopes",
                "view:user, create:user",
                "--expires-in",
                "30",
            )
        )
    )[0]
    assert set(created) == {"id", "token"}
    headers = {"Authorization": f"Bearer {created['token']}", "X-Perscom-Id": str(tenant_id)}
    assert (await client.get("/v1/users", headers=headers)).status_code == 200
    assert (await client.get("/v1/ranks", headers=headers)).status_code == 403
    listed = await anyio.to_thread.run_sync(
        lambda: _invoke(settings, "list", "--tenant", str(tenant_id))
    )
    assert [(k["id"], k["name"], k["scopes"]) for k in listed] == [
        (created["id"], "Zapier", ["view:user", "create:user"])
    ]
    assert "token" not in listed[0]
    revoked = await anyio.to_thread.run_sync(
        lambda: _invoke(settings, "revoke", "--tenant", str(tenant_id), "--id", str(created["id"]))
    )
    assert revoked[0]["revoked_at"] is not None
    assert (await client.get("/v1/users", headers=headers)).status_code == 401


async def test_apikey_create_refuses_unknown_scopes(
    make_tenant: object, settings: Settings
) -> None:
    tenant_id = await make_tenant()  # type: ignore[operator]

    def run() -> tuple[int, str]:
        result = CliRunner().invoke(
            apikey_app,
            ["create", "--tenant", str(tenant_id), "--name", "x", "--scopes", "view:everything"],
            env=_env(settings),
        )
        return result.exit_code, result.output

    code, output = await anyio.to_thread.run_sync(run)
    assert code == 1
    assert "view:everything" in output


async def test_demo_seeds_personnel_and_prints_a_working_curl(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    async with sessions() as session, session.begin():
        tenant = await identity.create_tenant(session, "Demo Test")
        admin = await identity.create_user(
            session, email="admin@demo.example.com", name="Demo Admin", roles=["admin"]
        )
        tenant_id, admin_id = tenant.id, admin.id
    lines = await seed_demo(settings, sessions, tenant_id, admin_id)
    curl = next(line for line in lines if "curl" in line)
    assert curl.strip().endswith("{base}/v1/users")
    token = re.search(r"Bearer ([\w.-]+)", curl)
    perscom_id = re.search(r"X-Perscom-Id: (\d+)", curl)
    assert token is not None and perscom_id is not None
    assert int(perscom_id.group(1)) == tenant_id
    headers = {"Authorization": f"Bearer {token.group(1)}", "X-Perscom-Id": perscom_id.group(1)}
    users = (await client.get("/v1/users?limit=100&include=rank,unit", headers=headers)).json()
    assert users["meta"]["total"] == PEOPLE + 1
    ranked = [u for u in users["data"] if u["rank"] is not None]
    assert len(ranked) == PEOPLE + 1
    assert all(u["unit"] is not None for u in users["data"] if u["id"] != admin_id)
    groups = (await client.get("/v1/groups?include=units", headers=headers)).json()["data"]
    assert all(g["units"] for g in groups)
    awards = (await client.get("/v1/awards", headers=headers)).json()
    assert awards["meta"]["total"] >= 4
    history = next(line for line in lines if "include=rank_records" in line)
    url = re.search(r"'\{base\}(/v1/users/\d+\?include=[\w.,]+)'", history)
    assert url is not None
    person = (await client.get(url.group(1), headers=headers)).json()["data"]
    assert person["rank_records"][0]["rank_id"] == person["rank_id"]
    assert person["last_rank_change_date"] == person["rank_records"][0]["created_at"]
    assert all(r["award"] is not None for r in person["award_records"])
    promotions = [r for r in person["rank_records"] if r["document_id"] is not None]
    for promotion in promotions:
        assert "Certificate of Promotion" in promotion["document_parsed"]
        assert "{" not in promotion["document_parsed"]
    for kind in ("assignment-records", "service-records", "training-records", "combat-records"):
        listed = (await client.get(f"/v1/{kind}", headers=headers)).json()
        assert listed["meta"]["total"] > 0, kind
    primary = await client.get(
        f"/v1/users/{person['id']}?include=primary_assignment_records", headers=headers
    )
    record = primary.json()["data"]["primary_assignment_records"][0]
    assert record["unit_id"] == person["unit_id"]
    forms = (await client.get("/v1/forms?include=fields", headers=headers)).json()["data"]
    assert {f["slug"] for f in forms} == {"enlistment-application", "leave-request"}
    assert all(f["fields"] for f in forms)
    submissions = (
        await client.get("/v1/submissions?include=statuses&limit=50", headers=headers)
    ).json()["data"]
    latest = {s["statuses"][-1]["name"] for s in submissions if s["statuses"]}
    assert {"Pending Review", "Approved", "Denied"} <= latest
    assert any(s.get("full_name") for s in submissions)
    events_line = next(line for line in lines if "include=schedule" in line)
    events_url = re.search(r"'\{base\}(/v1/events\?include=[\w.,]+)'", events_line)
    assert events_url is not None
    events = (await client.get(events_url.group(1), headers=headers)).json()["data"]
    repeating = [e for e in events if e["repeats"]]
    assert len(repeating) >= 2
    assert all(e["schedule"]["next_occurrence"] is not None for e in repeating)
    assert any(e["registrations"] for e in events)
    announcements = (await client.get("/v1/announcements", headers=headers)).json()
    assert announcements["meta"]["total"] == 2  # the disabled one is not listed
    tasks = (await client.get("/v1/tasks?include=users", headers=headers)).json()["data"]
    statuses = {u["pivot"]["status"] for u in tasks[0]["users"]}
    assert {"assigned", "past_due"} <= statuses
    feed = (await client.get("/v1/newsfeed?limit=100", headers=headers)).json()
    assert feed["meta"]["total"] >= 12
    assert {i["type"] for i in feed["data"]} >= {"award_record", "rank_record"}
    assert any(i["likes"] for i in feed["data"])
    stamps = [i["created_at"] for i in feed["data"]]
    assert stamps == sorted(stamps, reverse=True)
    widget_line = next(line for line in lines if "roster widget" in line)
    widget_url = re.search(r"\{base\}(/v2/widgets/roster\?apikey=[\w.-]+)", widget_line)
    assert widget_url is not None
    page = await client.get(widget_url.group(1))
    assert page.status_code == 200, page.text
    assert page.text.count('class="person"') >= 10
