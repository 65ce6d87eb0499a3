"""``serve --demo`` on an empty data dir makes a demo tenant and prints how to call the server;
its secrets go to a file only the operator can read, never to the log."""

from __future__ import annotations

from pathlib import Path

import pytest

from tenantry.core import migrate
from tenantry.core.db import create_engine
from tenantry.demo import CREDENTIALS_FILE, DEMO_ADMIN_EMAIL, first_start_banner
from tenantry.settings import load_settings

pytestmark = pytest.mark.anyio


async def test_first_start_creates_the_demo_once(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, secret_key="s" * 40)
    engine = create_engine(settings)
    await migrate.upgrade(engine, settings)
    await engine.dispose()

    first = await first_start_banner(settings, "127.0.0.1", 8123)
    assert "curl http://127.0.0.1:8123/healthz" in first
    assert "http://127.0.0.1:8123/docs" in first
    assert DEMO_ADMIN_EMAIL not in first
    secrets = tmp_path / CREDENTIALS_FILE
    assert str(secrets) in first
    assert secrets.stat().st_mode & 0o777 == 0o600
    kept = secrets.read_text()
    assert f"sign in as {DEMO_ADMIN_EMAIL} / " in kept
    password = kept.split(f"sign in as {DEMO_ADMIN_EMAIL} / ", 1)[1].split()[0]
    assert password not in first

    second = await first_start_banner(settings, "127.0.0.1", 8123)
    assert "demo tenant was created" not in second
    assert "curl http://127.0.0.1:8123/healthz" in second
