"""A uvicorn server that drains before it stops.

Uvicorn closes its listening socket as soon as SIGTERM arrives, so a load balancer still
routing to the replica sees refused connections until its health check notices. Here the
first SIGTERM/SIGINT only marks the platform as draining (``/readyz`` answers 503); after
``drain_seconds`` the usual shutdown follows (stop accepting, finish in-flight requests).
A second signal stops at once.
"""

from __future__ import annotations

import threading
from types import FrameType

import structlog
import uvicorn

from tenantry.core.platform import Platform

log = structlog.get_logger("tenantry")


class DrainingServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, platform: Platform, drain_seconds: float) -> None:
        super().__init__(config)
        self.platform = platform
        self.drain_seconds = drain_seconds
        self._timer: threading.Timer | None = None

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self.drain_seconds <= 0 or self._timer is not None:
            super().handle_exit(sig, frame)
            return
        self.platform.draining = True
        log.info("draining before shutdown", seconds=self.drain_seconds)
        self._timer = threading.Timer(self.drain_seconds, self._stop_after_drain)
        self._timer.daemon = True
        self._timer.start()

    def _stop_after_drain(self) -> None:
        self.should_exit = True  # uvicorn's main loop polls this flag
