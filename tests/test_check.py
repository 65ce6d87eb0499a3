"""``tenantry check`` as a real process: against working services, then broken ones.

The SMTP server is a real aiosmtpd sink, Redis the local server the rate-limit tests use,
the database the test database; "broken" means ports nobody listens on and a storage path
that cannot be created.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from tests.helpers import ON_POSTGRES

from tenantry.settings import Settings

REDIS_URL = "redis://127.0.0.1:6379/0"
PARTS = ["config", "database", "replica", "storage", "smtp", "redis"]


class Sink:
    """Accepts mail and keeps it: the check must not send any."""

    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def smtp_sink() -> Iterator[tuple[Sink, int]]:
    sink, port = Sink(), _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield sink, port
    controller.stop()


def check(settings: Settings, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TENANTRY_")}
    environment |= {
        "TENANTRY_DATABASE_URL": settings.effective_database_url,
        "TENANTRY_DATA_DIR": str(settings.data_dir),
        "TENANTRY_SECRET_KEY": settings.effective_secret_key,
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "tenantry", "check"],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )


def _lines(result: subprocess.CompletedProcess[str]) -> dict[str, str]:
    lines = result.stdout.splitlines()
    assert [line.split()[1] for line in lines] == PARTS, result.stdout
    return {line.split()[1]: line for line in lines}


@pytest.mark.anyio
@pytest.mark.usefixtures("migrated")
async def test_working_services_pass_one_line_each(
    settings: Settings, smtp_sink: tuple[Sink, int]
) -> None:
    sink, port = smtp_sink
    # On PostgreSQL the test database stands in for a replica (it answers, not as a standby).
    replica = (
        {"TENANTRY_DATABASE_REPLICA_URL": settings.effective_database_url} if ON_POSTGRES else {}
    )
    result = check(
        settings,
        TENANTRY_SMTP_URL=f"smtp://127.0.0.1:{port}",
        TENANTRY_REDIS_URL=REDIS_URL,
        **replica,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = _lines(result)
    assert all(line.startswith("ok ") for line in lines.values()), result.stdout
    assert "(latest)" in lines["database"]
    assert "NOOP" in lines["smtp"]
    assert "PING answered" in lines["redis"]
    assert ("not a standby" if ON_POSTGRES else "not set") in lines["replica"]
    assert sink.envelopes == []  # greeted, never sent to
    assert not list((settings.data_dir / "files" / "tenantry-check").glob("*"))


@pytest.mark.anyio
@pytest.mark.usefixtures("migrated")
async def test_unset_optional_services_are_ok_and_say_what_happens_instead(
    settings: Settings,
) -> None:
    result = check(settings)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = _lines(result)
    assert ".eml files" in lines["smtp"]
    assert "not set" in lines["redis"]


def test_broken_services_fail_one_line_each(settings: Settings, tmp_path: Path) -> None:
    closed = _free_port()
    blocker = tmp_path / "a-file"
    blocker.write_text("storage cannot make a directory below a file")
    result = check(
        settings,
        TENANTRY_DATABASE_URL=f"postgresql+asyncpg://someone:hunter2@127.0.0.1:{closed}/x",
        TENANTRY_DATABASE_REPLICA_URL=f"postgresql+asyncpg://someone:hunter2@127.0.0.1:{closed}/y",
        TENANTRY_STORAGE_URL=f"file://{blocker}/files",
        TENANTRY_SMTP_URL=f"smtp://127.0.0.1:{closed}",
        TENANTRY_REDIS_URL=f"redis://127.0.0.1:{closed}/0",
    )
    assert result.returncode == 1, result.stdout + result.stderr
    lines = _lines(result)
    assert lines["config"].startswith("ok ")
    for part in ["database", "replica", "storage", "smtp", "redis"]:
        assert lines[part].startswith("FAIL "), lines[part]
    assert "hunter2" not in result.stdout + result.stderr


def test_an_unmigrated_sqlite_database_is_ok_because_serve_migrates_it(
    settings: Settings, tmp_path: Path
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    result = check(settings, TENANTRY_DATABASE_URL=url)
    lines = _lines(result)
    assert lines["database"].startswith("ok "), lines["database"]
    assert "`serve` applies the migrations" in lines["database"]
