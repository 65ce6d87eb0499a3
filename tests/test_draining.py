"""``serve`` drains on SIGTERM: /readyz fails while the socket still answers, then it stops.

The server ``serve`` runs, on a real socket in a thread of its own; the signal handler is
called as uvicorn's would be on SIGTERM (a thread cannot receive the signal itself), and a
balancer's health check is played by plain HTTP requests.
"""

from __future__ import annotations

import signal
import threading
import time

import httpx
import pytest
import uvicorn
from tests.live import free_port

from tenantry.app import create_app
from tenantry.draining import DrainingServer
from tenantry.settings import Settings


def _start(settings: Settings, drain_seconds: float) -> tuple[DrainingServer, threading.Thread]:
    application = create_app(settings)
    config = uvicorn.Config(application, host="127.0.0.1", port=free_port(), log_config=None)
    server = DrainingServer(config, application.state.platform, drain_seconds)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    return server, thread


@pytest.mark.anyio
@pytest.mark.usefixtures("migrated")
async def test_sigterm_fails_readyz_first_then_stops(settings: Settings) -> None:
    server, thread = _start(settings, drain_seconds=1.0)
    url = f"http://127.0.0.1:{server.config.port}"
    try:
        async with httpx.AsyncClient(base_url=url, timeout=5) as http:
            assert (await http.get("/readyz")).status_code == 200
            server.handle_exit(signal.SIGTERM, None)
            # Still accepting while draining: liveness answers, readiness refuses.
            answer = await http.get("/readyz")
            assert answer.status_code == 503
            assert answer.json()["reason"] == "draining before shutdown"
            assert (await http.get("/healthz")).status_code == 200
        thread.join(timeout=20)
        assert not thread.is_alive(), "the server did not stop after draining"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


@pytest.mark.anyio
@pytest.mark.usefixtures("migrated")
async def test_a_second_signal_stops_at_once(settings: Settings) -> None:
    server, thread = _start(settings, drain_seconds=120.0)
    try:
        server.handle_exit(signal.SIGTERM, None)
        server.handle_exit(signal.SIGTERM, None)
        thread.join(timeout=20)
        assert not thread.is_alive(), "a second signal did not cut the drain short"
    finally:
        server.should_exit = True
        thread.join(timeout=20)
