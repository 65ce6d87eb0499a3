"""`tenantry oauth-client create` and `tenantry token create`: the JSON contract."""

from __future__ import annotations

import json

import anyio
import httpx
import pytest
import typer
from click.testing import Result
from tests.percolate.support.oauth import People, form_dance, me
from typer.testing import CliRunner

from tenantry.percolate.oauth.cli import oauth_client_app, token_app
from tenantry.settings import Settings

pytestmark = pytest.mark.anyio

COMMANDS = typer.Typer()
COMMANDS.add_typer(oauth_client_app, name="oauth-client")
COMMANDS.add_typer(token_app, name="token")
"""The sub-commands mounted the way ``tenantry`` mounts them."""


async def invoke(settings: Settings, *args: str) -> Result:
    """Run a command in a worker thread (it runs its own event loop), as the CLI would."""
    environment = {
        "TENANTRY_DATABASE_URL": settings.effective_database_url,
        "TENANTRY_DATA_DIR": str(settings.data_dir),
        "TENANTRY_SECRET_KEY": settings.effective_secret_key,
    }
    runner = CliRunner()
    return await anyio.to_thread.run_sync(
        lambda: runner.invoke(COMMANDS, list(args), env=environment)
    )


async def tenantry(settings: Settings, *args: str) -> dict[str, object]:
    """One JSON object on stdout, exit status 0."""
    result = await invoke(settings, *args)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1, result.stdout
    payload = json.loads(lines[0])
    assert isinstance(payload, dict)
    return payload


async def failing(settings: Settings, *args: str) -> str:
    """Exit status 1, nothing on stdout, one line on stderr."""
    result = await invoke(settings, *args)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    return result.stderr


async def test_client_and_token_from_the_command_line(
    settings: Settings, http: httpx.AsyncClient, people: People
) -> None:
    tenant = await people.tenant()
    person = await people.user(tenant)

    client = await tenantry(
        settings,
        "oauth-client",
        "create",
        "--tenant",
        str(tenant),
        "--name",
        "CLI app",
        "--redirect-uri",
        "https://cli.example.org/cb",
    )
    assert set(client) == {"client_id", "client_secret"}
    assert str(client["client_id"]).startswith("client:")

    token = await tenantry(
        settings,
        "token",
        "create",
        "--tenant",
        str(tenant),
        "--user",
        str(person.user_id),
        "--client",
        str(client["client_id"]),
    )
    assert list(token) == [
        "id",
        "token_type",
        "access_token",
        "refresh_token",
        "expires_in",
        "expires_at",
        "user_id",
        "grant_id",
        "updated_at",
        "authorized_tenant_id",
    ]
    assert token["authorized_tenant_id"] == f"account:{tenant}"
    assert (await me(http, str(token["access_token"]))).status_code == 200

    # Same issuing path as the endpoint: a code exchange now disables the CLI's token.
    from tests.percolate.support.oauth import Client, exchange

    web_client = Client(
        tenant, str(client["client_id"]), str(client["client_secret"]), "https://cli.example.org/cb"
    )
    code = (await form_dance(http, web_client, person))["code"]
    assert (await exchange(http, web_client, code)).status_code == 200
    assert (await me(http, str(token["access_token"]))).status_code == 401


async def test_command_line_refusals_are_one_line_on_stderr(
    settings: Settings, people: People
) -> None:
    tenant = await people.tenant()
    bad_uri = await failing(
        settings,
        "oauth-client",
        "create",
        "--tenant",
        str(tenant),
        "--name",
        "X",
        "--redirect-uri",
        "http://not-loopback.example/cb",
    )
    assert "https" in bad_uri
    no_client = await failing(
        settings,
        "token",
        "create",
        "--tenant",
        str(tenant),
        "--user",
        "1",
        "--client",
        "client:999999999",
    )
    assert "client:999999999" in no_client
