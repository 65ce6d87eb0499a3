"""``tenantry perscom webhook …`` and ``tenantry perscom activity …`` through the real
command line (Typer's runner, the test database)."""

from __future__ import annotations

import json

import anyio
import httpx
import pytest
from fastapi import FastAPI
from tests.core.webhooks.test_webhooks import Receiver
from tests.perscom.conftest import Org
from typer.testing import CliRunner

from tenantry.perscom import PerscomFace
from tenantry.perscom.commands import perscom_app
from tenantry.settings import Settings

pytestmark = pytest.mark.anyio


def _env(settings: Settings) -> dict[str, str]:
    return {
        "TENANTRY_DATABASE_URL": settings.effective_database_url,
        "TENANTRY_DATA_DIR": str(settings.data_dir),
        "TENANTRY_SECRET_KEY": settings.effective_secret_key,
        "TENANTRY_ALLOW_PRIVATE_WEBHOOKS": "1",
    }


async def invoke(settings: Settings, *args: str, code: int = 0) -> list[dict[str, object]]:
    def call() -> list[dict[str, object]]:
        result = CliRunner().invoke(perscom_app, list(args), env=_env(settings))
        assert result.exit_code == code, result.output
        return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]

    return await anyio.to_thread.run_sync(call)


async def test_webhook_create_list_test_delete(
    api: httpx.AsyncClient, org: Org, settings: Settings, receiver: Receiver
) -> None:
    tenant = str(org.tenant_id)
    [made] = await invoke(
        settings,
        "webhook",
        "create",
        "--tenant",
        tenant,
        "--url",
        receiver.url,
        "--events",
        "user.created, user.deleted",
        "--method",
        "GET",
    )
    assert made["events"] == ["user.created", "user.deleted"] and made["method"] == "get"
    shown = (await api.get(f"/v1/webhooks/{made['id']}")).json()["data"]
    assert shown["secret"] == made["secret"]
    listed = await invoke(settings, "webhook", "list", "--tenant", tenant)
    assert [row["id"] for row in listed] == [made["id"]]
    [queued] = await invoke(
        settings, "webhook", "test", "--tenant", tenant, "--id", str(made["id"])
    )
    assert isinstance(queued["delivery_id"], int)
    await invoke(
        settings,
        "webhook",
        "create",
        "--tenant",
        tenant,
        "--url",
        receiver.url,
        "--events",
        "user.exploded",
        code=1,
    )
    [gone] = await invoke(
        settings, "webhook", "delete", "--tenant", tenant, "--id", str(made["id"])
    )
    assert gone["id"] == made["id"]
    assert await invoke(settings, "webhook", "list", "--tenant", tenant) == []
    await invoke(settings, "webhook", "delete", "--tenant", tenant, "--id", str(made["id"]), code=1)


async def test_activity_list_and_prune(
    app: FastAPI, api: httpx.AsyncClient, org: Org, settings: Settings
) -> None:
    await api.get("/v1/users", params={"limit": 2})
    await PerscomFace.runtime(app).activity.flush()
    listed = await invoke(settings, "activity", "list", "--tenant", str(org.tenant_id))
    assert listed[0]["description"] == "GET /v1/users" and listed[0]["query"] == "limit=2"
    [pruned] = await invoke(settings, "activity", "prune", "--tenant", str(org.tenant_id))
    assert pruned == {"deleted": 0, "retention_days": 30}
