"""20 concurrent 50 MB bodies on every face leave a real server's memory within +30 MiB of
idle (API4:2023): bodies are refused while streaming, never buffered whole.

Measured on ``tenantry serve`` in a subprocess: its resident set size is sampled while the
bodies are sent, and the peak compared with the idle size after a warm-up.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from tests.percolate.support.accounts import Caller
from tests.perscom.conftest import Org
from tests.security.server import Served, serve

from tenantry.settings import Settings

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

MiB = 1024 * 1024
BODY = 50 * MiB
CONCURRENT = 20
HEADROOM = 30 * MiB
CHUNK = b"x" * MiB


@pytest.fixture(scope="module")
def live(settings: Settings, migrated: None) -> Iterator[Served]:
    with serve(settings) as served:
        yield served


class PeakRss:
    """Samples a process's RSS in a thread until stopped; keeps the peak."""

    def __init__(self, served: Served) -> None:
        self.served = served
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.served.rss_bytes())
            time.sleep(0.02)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.served.rss_bytes())


async def _body() -> AsyncIterator[bytes]:
    for _ in range(BODY // MiB):
        yield CHUNK


async def _send(http: httpx.AsyncClient, path: str, headers: dict[str, str]) -> int | None:
    try:
        response = await http.post(path, content=_body(), headers=headers)
    except httpx.TransportError:
        return None  # the server may close once past its drain allowance
    return response.status_code


async def _flood(base_url: str, path: str, headers: dict[str, str]) -> list[int | None]:
    limits = httpx.Limits(max_connections=CONCURRENT)
    timeout = httpx.Timeout(120)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=timeout) as http:
        return list(await asyncio.gather(*(_send(http, path, headers) for _ in range(CONCURRENT))))


async def _idle(live: Served, org: Org) -> int:
    async with httpx.AsyncClient(base_url=live.base_url, timeout=120) as http:
        for _ in range(3):  # warm the routes up (imports, caches, prepared statements)
            await http.get("/v1/users", headers=org.headers)
            await http.post("/v1/users", json={}, headers=org.headers)
            await http.post("/api/v5/user/", json={}, headers={"Authorization": "Bearer 1.x"})
    await asyncio.sleep(0.5)
    return live.rss_bytes()


JSON = {"Content-Type": "application/json"}
DECLARED = {**JSON, "Content-Length": str(BODY)}


@pytest.mark.timeout(900)
async def test_concurrent_large_bodies_leave_memory_flat(
    live: Served, org: Org, admin: Caller
) -> None:
    idle = await _idle(live, org)
    cases = [
        ("/v1/users", {**org.headers, **DECLARED}),  # PERSCOM, good key, declared length
        ("/v1/users", {**org.headers, **JSON}),  # PERSCOM, good key, chunked
        ("/v1/users", {"Authorization": "Bearer bogus", **JSON}),  # PERSCOM, bad key, chunked
        ("/v1/images", {"Content-Type": "multipart/form-data; boundary=x"}),  # form, no key
        ("/api/v5/user/", {**admin.headers, **DECLARED}),  # Percolate, good token, declared
        ("/api/v5/user/", {"Authorization": "Bearer 1.bogus", **JSON}),  # bad token, chunked
        ("/auth/v5/token/", {"Content-Type": "application/x-www-form-urlencoded"}),
        ("/oauth/token", {"Content-Type": "application/x-www-form-urlencoded"}),
    ]
    peaks: dict[str, int] = {}
    for path, headers in cases:
        with PeakRss(live) as sampled:
            statuses = await _flood(live.base_url, path, headers)
        assert not [status for status in statuses if status is not None and status >= 500]
        assert any(status is not None for status in statuses), (path, statuses)
        peaks[f"{path} {sorted(headers)}"] = sampled.peak - idle
    over = {case: grown // MiB for case, grown in peaks.items() if grown > HEADROOM}
    assert not over, f"MiB over idle ({idle // MiB} MiB): {over}"
