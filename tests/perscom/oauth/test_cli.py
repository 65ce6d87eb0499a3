"""``tenantry perscom oauth-client create|list|revoke``."""

from __future__ import annotations

import json

import anyio
import httpx
import pytest
from tests.perscom.conftest import bearer
from tests.perscom.oauth_support import REDIRECT_URI, Client, Orgs, tokens_for
from typer.testing import CliRunner

from tenantry.perscom.commands import perscom_app
from tenantry.settings import Settings

pytestmark = pytest.mark.anyio


def _invoke(settings: Settings, *args: str) -> list[dict[str, object]]:
    env = {
        "TENANTRY_DATABASE_URL": settings.effective_database_url,
        "TENANTRY_DATA_DIR": str(settings.data_dir),
        "TENANTRY_SECRET_KEY": settings.effective_secret_key,
    }
    result = CliRunner().invoke(perscom_app, ["oauth-client", *args], env=env)
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


async def test_create_list_revoke(
    client: httpx.AsyncClient, orgs: Orgs, settings: Settings
) -> None:
    tenant = await orgs.tenant()
    person = await orgs.person(tenant)
    created = (
        await anyio.to_thread.run_sync(
            lambda: _invoke(
                settings,
                "create",
                "--tenant",
                str(tenant),
                "--name",
                "Zapier",
                "--redirect-uri",
                REDIRECT_URI,
                "--scopes",
                "view:user,create:user",
            )
        )
    )[0]
    assert created["grant_types"] == ["authorization_code", "refresh_token"]
    secret = str(created["client_secret"])
    app_client = Client(tenant, str(created["client_id"]), secret, REDIRECT_URI)
    token = await tokens_for(client, app_client, person)
    assert token["scope"] == "view:user create:user"
    listed = await anyio.to_thread.run_sync(
        lambda: _invoke(settings, "list", "--tenant", str(tenant))
    )
    assert [c["client_id"] for c in listed] == [created["client_id"]]
    assert "client_secret" not in listed[0]
    revoked = await anyio.to_thread.run_sync(
        lambda: _invoke(
            settings, "revoke", "--tenant", str(tenant), "--client-id", app_client.client_id
        )
    )
    assert revoked[0]["revoked_at"] is not None
    assert (
        await client.get("/v1/me", headers=bearer(token["access_token"], tenant))
    ).status_code == 401
    refused = await client.post(
        "/oauth/token",
        json=app_client.body(grant_type="refresh_token", refresh_token=token["refresh_token"]),
    )
    assert refused.json()["error"] == "invalid_client"


async def test_create_refuses_bad_input(orgs: Orgs, settings: Settings) -> None:
    tenant = await orgs.tenant()
    for args in (
        ("--redirect-uri", "http://example.com/cb"),
        ("--redirect-uri", REDIRECT_URI, "--grant-types", "password"),
        ("--redirect-uri", REDIRECT_URI, "--scopes", "view:nothing"),
        ("--grant-types", "authorization_code"),
    ):
        result = await anyio.to_thread.run_sync(
            lambda args=args: CliRunner().invoke(
                perscom_app,
                ["oauth-client", "create", "--tenant", str(tenant), "--name", "X", *args],
                env={
                    "TENANTRY_DATABASE_URL": settings.effective_database_url,
                    "TENANTRY_DATA_DIR": str(settings.data_dir),
                    "TENANTRY_SECRET_KEY": settings.effective_secret_key,
                },
            )
        )
        assert result.exit_code != 0, args
