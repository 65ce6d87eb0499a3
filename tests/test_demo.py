"""First start on an empty data dir makes a demo tenant and prints how to call the server."""

from __future__ import annotations

from pathlib import Path

import pytest

from tenantry.core import migrate
from tenantry.core.db import create_engine
from tenantry.demo import DEMO_ADMIN_EMAIL, first_start_banner
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
    assert f"sign in as {DEMO_ADMIN_EMAIL} / " in first

    second = await first_start_banner(settings, "127.0.0.1", 8123)
    assert "demo tenant was created" not in second
    assert "curl http://127.0.0.1:8123/healthz" in second
