"""Credentials say what they are: an API key always expires (``--expires-in 0`` is refused,
not read as "never"), and the 401 of ``GET /api/v5/me`` is in the spec."""

from __future__ import annotations

import anyio
import httpx
import pytest
from typer.testing import CliRunner

from tenantry.perscom.cli import apikey_app
from tenantry.settings import Settings

pytestmark = pytest.mark.anyio


def _invoke(settings: Settings, *args: str) -> tuple[int, str]:
    env = {
        "TENANTRY_DATABASE_URL": settings.effective_database_url,
        "TENANTRY_DATA_DIR": str(settings.data_dir),
        "TENANTRY_SECRET_KEY": settings.effective_secret_key,
    }
    result = CliRunner().invoke(apikey_app, list(args), env=env)
    return result.exit_code, result.output


def _create(settings: Settings, tenant_id: int, *extra: str) -> tuple[int, str]:
    scopes = ["--name", "k", "--scopes", "view:user"]
    return _invoke(settings, "create", "--tenant", str(tenant_id), *scopes, *extra)


@pytest.mark.parametrize("days", ["0", "-1", "100000"])
async def test_apikey_create_refuses_a_lifetime_that_is_not_one(
    settings: Settings, make_tenant: object, days: str
) -> None:
    tenant_id = await make_tenant()  # type: ignore[operator]
    code, output = await anyio.to_thread.run_sync(
        lambda: _create(settings, tenant_id, "--expires-in", days)
    )
    assert code == 2, output
    assert "--expires-in" in output


async def test_apikey_create_with_one_day_expires(settings: Settings, make_tenant: object) -> None:
    tenant_id = await make_tenant()  # type: ignore[operator]
    code, output = await anyio.to_thread.run_sync(
        lambda: _create(settings, tenant_id, "--expires-in", "1")
    )
    assert code == 0, output
    _, listed = await anyio.to_thread.run_sync(
        lambda: _invoke(settings, "list", "--tenant", str(tenant_id))
    )
    assert '"expires_at": null' not in listed
    assert '"expires_at": "' in listed


async def test_me_documents_its_401(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/api/v5/spec.json")).json()
    responses = spec["paths"]["/api/v5/me"]["get"]["responses"]
    assert "401" in responses
    refused = await client.get("/api/v5/me")
    assert refused.status_code == 401
    assert refused.json()["errors"]
