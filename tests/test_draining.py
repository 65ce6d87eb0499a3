"""``serve`` drains on SIGTERM: /readyz fails while the socket still answers, then it stops.

A real ``tenantry serve`` process on the embedded SQLite store, signalled as a process
manager would; a balancer's health check is played by plain HTTP requests.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from tests.live import free_port


def _wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "serve exited before it was ready"
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError("serve did not become ready")


def test_sigterm_fails_readyz_first_then_stops(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {name: value for name, value in os.environ.items() if not name.startswith("TENANTRY_")}
    env |= {
        "TENANTRY_DATA_DIR": str(tmp_path),
        "TENANTRY_DRAIN_SECONDS": "2",
        "TENANTRY_LOG_FORMAT": "json",
    }
    command = [sys.executable, "-m", "tenantry", "serve", "--port", str(port)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_ready(url, process)
        process.send_signal(signal.SIGTERM)
        # Still accepting while draining: liveness answers, readiness refuses.
        assert httpx.get(f"{url}/readyz", timeout=5).status_code == 503
        assert httpx.get(f"{url}/healthz", timeout=5).status_code == 200
        assert process.poll() is None
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()
    assert process.returncode == 0
