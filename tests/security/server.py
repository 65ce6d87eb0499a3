"""``tenantry serve`` as a real subprocess on a free port, for what only a real server shows
(its memory, its socket, uvicorn's own defaults)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from tests.live import free_port

from tenantry.settings import Settings

__all__ = ["Served", "serve"]


class Served:
    def __init__(self, process: subprocess.Popen[bytes], base_url: str) -> None:
        self.process = process
        self.base_url = base_url

    def rss_bytes(self) -> int:
        """The server's resident set size now (Linux /proc)."""
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        raise RuntimeError("no VmRSS")


@contextmanager
def serve(settings: Settings, **env: str) -> Iterator[Served]:
    """The app of ``settings`` served by ``tenantry serve`` until the block ends."""
    port = free_port()
    environment = {
        **os.environ,
        "TENANTRY_DATABASE_URL": settings.effective_database_url,
        "TENANTRY_DATA_DIR": str(settings.data_dir),
        "TENANTRY_SECRET_KEY": settings.effective_secret_key,
        "TENANTRY_BASE_URL": f"http://127.0.0.1:{port}",
        "TENANTRY_EMBEDDED_WORKER": "false",
        "TENANTRY_DEMO_ON_FIRST_START": "false",
        "TENANTRY_LOG_LEVEL": "WARNING",
        **env,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "tenantry", "serve", "--port", str(port)],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"tenantry serve exited with {process.returncode}")
            try:
                if httpx.get(f"{base_url}/healthz", timeout=2).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("tenantry serve did not start")
            time.sleep(0.2)
        yield Served(process, base_url)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
