"""Every setting is validated when a process starts: a bad value exits 2 with one line.

The table below holds one malformed value per setting; a test fails when a setting is added
(to the core or to a face) without one, so the table cannot silently fall behind.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from pydantic_settings import BaseSettings
from typer.testing import CliRunner

from tenantry import faces
from tenantry.cli import app
from tenantry.settings import Settings

MALFORMED: dict[str, str] = {
    "TENANTRY_DATA_DIR": "/dev/null",
    "TENANTRY_DATABASE_URL": "mysql://db/tenantry",
    "TENANTRY_DATABASE_REPLICA_URL": "postgresql+asyncpg://replica/tenantry",
    "TENANTRY_DATABASE_ROLE": "app; DROP TABLE users",
    "TENANTRY_DATABASE_POOL_SIZE": "ten",
    "TENANTRY_CREDENTIAL_CACHE_SECONDS": "5",
    "TENANTRY_REDIS_URL": "memcached://127.0.0.1:11211",
    "TENANTRY_STORAGE_URL": "ftp://files.example.org/",
    "TENANTRY_SMTP_URL": "gopher://mail.example.org",
    "TENANTRY_MAIL_FROM": "nobody",
    "TENANTRY_SECRET_KEY": "short",
    "TENANTRY_METRICS_TOKEN": "short",
    "TENANTRY_MAX_BODY_BYTES": "lots",
    "TENANTRY_TRUSTED_PROXIES": "10.0.0.1,proxy.example",
    "TENANTRY_AUDIT_RETENTION_DAYS": "-1",
    "TENANTRY_BASE_URL": "localhost:8000",
    "TENANTRY_LOG_LEVEL": "LOUD",
    "TENANTRY_LOG_FORMAT": "xml",
    "TENANTRY_EMBEDDED_WORKER": "maybe",
    "TENANTRY_WORKER_CONCURRENCY": "0",
    "TENANTRY_JOB_LEASE_SECONDS": "-1",
    "TENANTRY_JOB_POLL_INTERVAL": "0",
    "TENANTRY_JOB_BACKOFF_BASE": "fast",
    "TENANTRY_JOB_BACKOFF_CAP": "0",
    "TENANTRY_JOB_SHUTDOWN_GRACE_SECONDS": "-1",
    "TENANTRY_DRAIN_SECONDS": "301",
    "TENANTRY_JOB_RETENTION_DAYS": "a week",
    "TENANTRY_JOB_MODULES": "my-plugin.jobs",
    "TENANTRY_ALLOW_PRIVATE_WEBHOOKS": "perhaps",
    "TENANTRY_WEBHOOK_TIMEOUT_SECONDS": "61",
    "TENANTRY_DEMO_ON_FIRST_START": "sometimes",
    "TENANTRY_PERSCOM_KEY_RATE": "1000000",
    "TENANTRY_PERSCOM_IP_RATE": "fast",
    "TENANTRY_PERSCOM_API_LOG": "loud",
    "TENANTRY_PERSCOM_ACTIVITY_RETENTION_DAYS": "0",
    "TENANTRY_PERCOLATE_TOKEN_RATE": "1000/fortnight",
}

COMMANDS = [["serve"], ["worker"], ["tenant", "list"]]


def _variables(model: type[BaseSettings]) -> set[str]:
    prefix = str(model.model_config.get("env_prefix") or "")
    return {(prefix + name).upper() for name in model.model_fields}


def test_every_setting_has_a_malformed_value() -> None:
    models: list[type[BaseSettings]] = [Settings, *faces.settings_models()]
    variables = set().union(*(_variables(model) for model in models))
    assert variables == set(MALFORMED)


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No TENANTRY_* value from the caller's shell may decide the outcome."""
    for name in list(os.environ):
        if name.startswith("TENANTRY_"):
            monkeypatch.delenv(name)


@pytest.mark.usefixtures("clean_environment")
@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
@pytest.mark.parametrize("variable", sorted(MALFORMED))
def test_malformed_setting_exits_2_naming_it(command: list[str], variable: str) -> None:
    result = CliRunner().invoke(app, command, env={variable: MALFORMED[variable]})
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"tenantry: bad setting {variable}: "), lines[0]
    assert len(lines[0]) > len(f"tenantry: bad setting {variable}: ") + 10  # says what it expects
    assert result.stdout == ""


@pytest.mark.usefixtures("clean_environment")
@pytest.mark.parametrize("command", [["check"], ["perscom", "webhook", "list"], ["migrate"]])
def test_face_and_other_commands_validate_too(command: list[str]) -> None:
    result = CliRunner().invoke(app, command, env={"TENANTRY_PERSCOM_KEY_RATE": "1000000"})
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("tenantry: bad setting TENANTRY_PERSCOM_KEY_RATE: ")


@pytest.mark.usefixtures("clean_environment")
def test_secrets_are_not_echoed() -> None:
    result = CliRunner().invoke(app, ["tenant", "list"], env={"TENANTRY_SECRET_KEY": "hunter2"})
    assert result.exit_code == 2
    assert "hunter2" not in result.stderr
    password_url = "postgresql://someone:hunter2@db/x"
    result = CliRunner().invoke(
        app, ["tenant", "list"], env={"TENANTRY_DATABASE_URL": password_url}
    )
    assert result.exit_code == 2
    assert "hunter2" not in result.stderr
    assert "someone:***@db" in result.stderr


@pytest.mark.usefixtures("clean_environment")
def test_a_rate_without_a_period_says_what_it_expects() -> None:
    result = CliRunner().invoke(app, ["serve"], env={"TENANTRY_PERSCOM_KEY_RATE": "1000000"})
    assert result.exit_code == 2
    assert result.stderr == (
        "tenantry: bad setting TENANTRY_PERSCOM_KEY_RATE: expects a rate such as 1000/minute"
        " or 50/second (got '1000000')\n"
    )


@pytest.mark.parametrize("command", [["serve"], ["worker"]], ids=" ".join)
def test_the_real_process_exits_2_before_serving(command: list[str]) -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TENANTRY_")}
    result = subprocess.run(
        [sys.executable, "-m", "tenantry", *command],
        capture_output=True,
        text=True,
        env={**environment, "TENANTRY_PERSCOM_KEY_RATE": "1000000"},
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("tenantry: bad setting TENANTRY_PERSCOM_KEY_RATE: ")
    assert result.stderr.count("\n") == 1


def test_good_values_load() -> None:
    settings = Settings(
        redis_url="redis://127.0.0.1:6379/0",
        storage_url="s3://bucket-name?endpoint_url=http://127.0.0.1:9000",
        smtp_url="smtp+starttls://user:pw@mail.example.org",
        mail_from="Ops <ops@example.org>",
        job_modules="a.b, c",  # type: ignore[arg-type]
        log_format="json",
    )
    assert settings.job_modules == ["a.b", "c"]
