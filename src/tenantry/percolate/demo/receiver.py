"""The demo's local receiver (``tenantry demo receiver``): where the demo account's publish URL
and webhook point, so a newcomer sees signed deliveries arrive without writing a server.

It is what a real receiver must do, and no more: check ``X-Tenantry-Signature`` (HMAC-SHA256
over ``"{timestamp}.{body}"``) and the timestamp's freshness with :func:`verify_signature`,
print one JSON line per delivery, and answer 200; a request that fails the check is printed
too and answered 401, so the server logs a failed attempt and retries. The standard
library's threaded HTTP server is enough for a demo; it binds 127.0.0.1 by default.
"""

from __future__ import annotations

import json
import signal
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TextIO

from tenantry.core.webhooks import DELIVERY_HEADER, EVENT_HEADER, verify_signature
from tenantry.percolate.demo.content import RECEIVER_PORT

__all__ = ["MAX_BODY_BYTES", "DemoReceiver", "describe_delivery"]

MAX_BODY_BYTES = 5 * 1024 * 1024


def describe_delivery(
    path: str, headers: dict[str, str], body: bytes, *, verified: bool
) -> dict[str, Any]:
    """The line printed for one request: who sent what, whether it verified, the body."""
    try:
        payload: Any = json.loads(body)
    except ValueError:
        payload = body.decode("utf-8", "replace")
    data = payload.get("data") if isinstance(payload, dict) else None
    lowered = {name.lower(): value for name, value in headers.items()}
    return {
        "path": path,
        "verified": verified,
        "event": lowered.get(EVENT_HEADER.lower()),
        "delivery": lowered.get(DELIVERY_HEADER.lower()),
        "action": payload.get("action") if isinstance(payload, dict) else None,
        "post_id": data.get("id") if isinstance(data, dict) else None,
        "status": data.get("status") if isinstance(data, dict) else None,
        "body": payload,
    }


class DemoReceiver:
    """A threaded HTTP server that verifies and prints every POST it gets."""

    def __init__(
        self, secret: str, out: TextIO, *, host: str = "127.0.0.1", port: int = RECEIVER_PORT
    ) -> None:
        if not secret:
            raise ValueError("the demo receiver needs the demo's signing secret")
        self.secret = secret
        self.out = out
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if not 0 <= length <= MAX_BODY_BYTES:
                    self._answer(413, {"error": "body too large"})
                    return
                body = self.rfile.read(length)
                headers = dict(self.headers.items())
                verified = verify_signature(receiver.secret, body, headers)
                receiver.emit(describe_delivery(self.path, headers, body, verified=verified))
                if verified:
                    self._answer(200, {"ok": True})
                else:
                    self._answer(401, {"error": "bad or stale signature"})

            def _answer(self, status: int, payload: dict[str, Any]) -> None:
                raw = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # stdout carries the JSON lines only

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self.server.block_on_close = False  # closing never waits on a slow or stuck sender
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        name = host.decode() if isinstance(host, bytes) else host
        return f"http://{name}:{port}"

    def emit(self, line: dict[str, Any]) -> None:
        with self._lock:
            self.out.write(json.dumps(line, default=str) + "\n")
            self.out.flush()

    def serve_forever(self) -> None:
        """Serve in this thread until SIGINT or SIGTERM (the command's way).

        Both signals are handled explicitly: a process started in the background of a
        non-interactive shell inherits SIGINT as ignored, and Python then never raises
        ``KeyboardInterrupt``. ``shutdown`` waits for the serving loop, so it runs in a thread.
        """

        def stop(_signum: int, _frame: object) -> None:
            threading.Thread(target=self.server.shutdown, daemon=True).start()

        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            self.server.serve_forever()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self.server.server_close()

    def start(self) -> None:
        """Serve from a daemon thread (embedding it, in a test say); :meth:`close` stops it."""
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        if self._thread is not None:
            self.server.shutdown()
        self.server.server_close()
