"""`tenantry scope create` and the demo account's v5 data."""

from __future__ import annotations

import json
from typing import Any

import anyio
import httpx
import pytest
import typer
from click.testing import Result
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.percolate.support.accounts import Account, Caller
from typer.testing import CliRunner

from tenantry.core.identity import service as identity
from tenantry.core.tenancy import tenant_session
from tenantry.percolate.demo.organisation import seed_demo
from tenantry.percolate.scope.cli import scope_app
from tenantry.settings import Settings

pytestmark = pytest.mark.anyio

COMMANDS = typer.Typer()
COMMANDS.add_typer(scope_app, name="scope")


async def invoke(settings: Settings, *args: str) -> Result:
    environment = {
        "TENANTRY_DATABASE_URL": settings.effective_database_url,
        "TENANTRY_DATA_DIR": str(settings.data_dir),
        "TENANTRY_SECRET_KEY": settings.effective_secret_key,
    }
    runner = CliRunner()
    return await anyio.to_thread.run_sync(
        lambda: runner.invoke(COMMANDS, list(args), env=environment)
    )


async def test_scope_create_prints_one_json_object(
    settings: Settings, api: httpx.AsyncClient, account: Account, admin: Caller
) -> None:
    tenant = str(account.tenant_id)
    made = await invoke(
        settings, "scope", "create", "--tenant", tenant, "--type", "license_group", "--name", "EMEA"
    )
    assert made.exit_code == 0, made.stderr
    group: dict[str, Any] = json.loads(made.stdout)
    assert group["id"].startswith("license_group:") and group["parent_id"] == account.wire
    child = await invoke(
        settings,
        "scope",
        "create",
        "--tenant",
        tenant,
        "--type",
        "license",
        "--name",
        "France",
        "--parent",
        group["id"],
    )
    assert child.exit_code == 0, child.stderr
    lic = json.loads(child.stdout.strip())
    assert lic["id"].startswith("license:") and lic["parent_id"] == group["id"]
    shown = await api.get(f"/api/v5/scope/{lic['id']}", headers=admin.headers)
    assert shown.json()["data"]["parent_id"] == group["id"]
    bad = await invoke(
        settings, "scope", "create", "--tenant", tenant, "--type", "planet", "--name", "X"
    )
    assert bad.exit_code == 1 and bad.stdout == ""
    orphan = await invoke(
        settings,
        "scope",
        "create",
        "--tenant",
        tenant,
        "--type",
        "brand",
        "--name",
        "X",
        "--parent",
        "license:999999999",
    )
    assert orphan.exit_code == 1
    nobody = await invoke(
        settings, "scope", "create", "--tenant", "999999999", "--type", "brand", "--name", "X"
    )
    assert nobody.exit_code == 1


async def test_demo_account_is_realistic(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    api: httpx.AsyncClient,
    make_account: Any,
) -> None:
    account: Account = await make_account()
    admin = await account.user(("admin", None))
    async with tenant_session(sessions, account.tenant_id) as session:
        assert await identity.get_tenant(session, account.tenant_id)
    lines = await seed_demo(settings, sessions, account.tenant_id, admin.user_id)
    assert any("{base}/api/v5/spec.json" in line for line in lines)
    h = admin.headers
    scopes = (await api.get("/api/v5/scope/", headers=h)).json()["data"]
    assert sorted(s["type"] for s in scopes) == ["brand", "license", "license", "license_group"]
    users = (await api.get("/api/v5/user/", headers=h)).json()
    assert users["meta"]["total"] == 13
    group = next(s["id"] for s in scopes if s["type"] == "license_group")
    grants = (
        await api.get(
            f"/api/v5/user_role/?scope_ids={group}&extend_scopes=true&exclude_hierarchical=true",
            headers=h,
        )
    ).json()
    assert grants["meta"]["total"] == 12
    channels = (
        await api.get(f"/api/v5/channel/?scope_ids={group}&extend_scopes=true", headers=h)
    ).json()
    assert channels["meta"]["total"] == 3
    tree = (await api.get(f"/api/v5/term/?scope_ids={group}&mode=taxonomy", headers=h)).json()
    assert tree["meta"]["total"] == 7
    custom = (await api.get("/api/v5/platform/?type=custom", headers=h)).json()
    assert [p["name"] for p in custom["data"]] == ["Podcast"]
