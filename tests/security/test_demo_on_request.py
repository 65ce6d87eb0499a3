"""A fresh deployment gets no demo admin: ``serve`` creates the demo tenant only when asked
(``--demo``), and even then its password, keys and tokens never reach the log."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from tests.live import free_port

from tenantry.demo import CREDENTIALS_FILE, DEMO_ADMIN_EMAIL


def _serve(data_dir: Path, *extra: str) -> str:
    """Run ``tenantry serve`` on a fresh SQLite data dir until it answers; returns its log."""
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("TENANTRY_") or key == "TENANTRY_TEST_DATABASE_URL"
    }
    env |= {
        "TENANTRY_DATA_DIR": str(data_dir),
        "TENANTRY_SECRET_KEY": "demo-test-" + "k" * 40,
        "TENANTRY_EMBEDDED_WORKER": "false",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "tenantry", "serve", "--port", str(port), *extra],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            assert process.poll() is None, "serve exited early"
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "serve did not start"
            time.sleep(0.2)
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=60)
    return output.decode()


def _tenants(data_dir: Path) -> int:
    with sqlite3.connect(data_dir / "tenantry.db") as db:
        count: int = db.execute("SELECT count(*) FROM tenants").fetchone()[0]
        return count


@pytest.mark.slow
def test_serve_makes_no_demo_unless_asked(tmp_path: Path) -> None:
    log = _serve(tmp_path)
    assert _tenants(tmp_path) == 0
    assert "demo" not in log.lower()
    assert not (tmp_path / CREDENTIALS_FILE).exists()


@pytest.mark.slow
def test_serve_demo_keeps_its_secrets_out_of_the_log(tmp_path: Path) -> None:
    log = _serve(tmp_path, "--demo")
    assert _tenants(tmp_path) == 1
    kept = (tmp_path / CREDENTIALS_FILE).read_text()
    password = kept.split(f"sign in as {DEMO_ADMIN_EMAIL} / ", 1)[1].split()[0]
    assert password not in log
    assert "Bearer" not in log and "Bearer" in kept
    assert str(tmp_path / CREDENTIALS_FILE) in log
