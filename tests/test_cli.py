"""The CLI contract (DESIGN.md §6), run as a real process against the test database."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tenantry.settings import Settings, load_settings


def tenantry(
    settings: Settings, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "TENANTRY_DATABASE_URL": settings.effective_database_url,
        "TENANTRY_DATA_DIR": str(settings.data_dir),
        "TENANTRY_SECRET_KEY": settings.effective_secret_key,
        **(env or {}),
    }
    return subprocess.run(
        [sys.executable, "-m", "tenantry", *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
        check=False,
    )


def created(result: subprocess.CompletedProcess[str]) -> dict[str, object]:
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1, result.stdout
    payload = json.loads(lines[0])
    assert isinstance(payload, dict)
    return payload


@pytest.mark.anyio
@pytest.mark.usefixtures("migrated")
async def test_tenant_and_user_lifecycle(settings: Settings) -> None:
    name = f"CLI Org {uuid.uuid4().hex[:6]}"
    tenant = created(tenantry(settings, "tenant", "create", "--name", name))
    assert tenant["name"] == name and isinstance(tenant["id"], int)
    listed = [json.loads(line) for line in tenantry(settings, "tenant", "list").stdout.splitlines()]
    assert any(row["id"] == tenant["id"] for row in listed)

    user = created(
        tenantry(
            settings, "user", "create", "--tenant", str(tenant["id"]),
            "--email", "Cli@Example.org", "--name", "Cli User", "--role", "admin",
        )
    )  # fmt: skip
    assert user["email"] == "cli@example.org"

    again = tenantry(
        settings, "user", "create", "--tenant", str(tenant["id"]),
        "--email", "cli@example.org", "--name", "Second",
    )  # fmt: skip
    assert again.returncode == 1
    assert again.stdout == ""
    assert len(again.stderr.strip().splitlines()) == 1
    assert "already exists" in again.stderr

    users = tenantry(settings, "user", "list", "--tenant", str(tenant["id"])).stdout.split("\n")
    assert [json.loads(line)["email"] for line in users if line] == ["cli@example.org"]


@pytest.mark.anyio
@pytest.mark.usefixtures("migrated")
async def test_unknown_tenant_is_a_one_line_error_and_writes_nothing(settings: Settings) -> None:
    result = tenantry(
        settings, "user", "create", "--tenant", "987654321", "--email", "x@example.org",
        "--name", "X",
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.strip() == "tenantry: No tenant with id 987654321."


def test_bad_setting_exits_2_with_one_line(settings: Settings) -> None:
    result = tenantry(settings, "tenant", "list", env={"TENANTRY_DATABASE_URL": "mysql://x/y"})
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "TENANTRY_DATABASE_URL" in result.stderr


def test_unreachable_database_names_the_masked_url(settings: Settings) -> None:
    url = "postgresql+asyncpg://someone:hunter2@127.0.0.1:1/nowhere"
    result = tenantry(settings, "tenant", "list", env={"TENANTRY_DATABASE_URL": url})
    assert result.returncode == 1
    assert "someone:***@127.0.0.1:1/nowhere" in result.stderr
    assert "hunter2" not in result.stderr
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize(
    "command",
    [[], ["serve"], ["migrate"], ["worker"], ["demo"], ["tenant", "create"], ["tenant", "list"],
     ["user", "create"], ["user", "list"]],
)  # fmt: skip
def test_every_command_has_help(settings: Settings, command: list[str]) -> None:
    result = tenantry(settings, *command, "--help")
    assert result.returncode == 0, result.stderr
    assert "Usage" in result.stdout


def test_secret_key_is_generated_once_and_private(tmp_path: Path) -> None:
    first = load_settings(data_dir=tmp_path).effective_secret_key
    second = load_settings(data_dir=tmp_path).effective_secret_key
    assert first == second and len(first) >= 32
    mode = stat.S_IMODE((tmp_path / "secret_key").stat().st_mode)
    assert mode == 0o600


def test_database_url_is_masked_when_printed() -> None:
    from tenantry.settings import mask_url

    assert (
        mask_url("postgresql+asyncpg://u:p%40ss@db:5432/x")
        == "postgresql+asyncpg://u:***@db:5432/x"
    )
    assert mask_url("sqlite+aiosqlite:///tmp/x.db") == "sqlite+aiosqlite:///tmp/x.db"
