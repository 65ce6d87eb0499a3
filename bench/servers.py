"""Start, probe and stop the two servers under test; each is one process in its own group."""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench.common import LOOPBACK, ROOT, VENV_BIN, WORK_DIR


class ServerError(RuntimeError):
    pass


@dataclass
class Response:
    status: int
    body: bytes


def request(
    port: int,
    method: str,
    path: str,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    timeout: float = 10.0,
) -> Response:
    """One HTTP/1.1 request to ``127.0.0.1:port`` (never anywhere else)."""
    connection = http.client.HTTPConnection(LOOPBACK, port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        answer = connection.getresponse()
        return Response(answer.status, answer.read())
    finally:
        connection.close()


class ManagedProcess:
    """A child in its own session (process group), logged to a file, stopped on ``stop``."""

    def __init__(self, name: str, command: list[str], env: dict[str, str] | None = None) -> None:
        self.name = name
        self.command = command
        self.log_path = WORK_DIR / "logs" / f"{name}.log"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def cpu_seconds(self) -> float:
        """User + system CPU time of the process so far (Linux /proc)."""
        try:
            fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        ticks = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / ticks

    def rss_mib(self) -> float | None:
        """Resident memory of the process now (Linux /proc), in MiB."""
        try:
            status = Path(f"/proc/{self.pid}/status").read_text()
        except OSError:
            return None
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return None

    def stop(self, grace: float = 15.0) -> None:
        """SIGTERM the process group, then SIGKILL it if it has not gone after ``grace`` s."""
        try:
            if self.alive():
                self._signal(signal.SIGTERM)
                try:
                    self.process.wait(timeout=grace)
                except subprocess.TimeoutExpired:
                    self._signal(signal.SIGKILL)
                    self.process.wait(timeout=10)
        finally:
            self._log.close()

    def _signal(self, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, sig)

    def wait_ready(self, port: int, path: str, timeout: float = 60.0) -> float:
        """Poll ``path`` until it answers 200; return the seconds it took."""
        started = time.perf_counter()
        deadline = started + timeout
        last = "no answer"
        while time.perf_counter() < deadline:
            if not self.alive():
                raise ServerError(
                    f"{self.name} exited with {self.process.returncode} before it was ready:\n"
                    f"{self.log_tail()}"
                )
            try:
                answer = request(port, "GET", path, timeout=2.0)
                if answer.status == 200:
                    return time.perf_counter() - started
                last = f"{answer.status} {answer.body[:200]!r}"
            except OSError as exc:
                last = f"{type(exc).__name__}: {exc}"
            time.sleep(0.2)
        raise ServerError(
            f"{self.name} not ready after {timeout:.0f}s ({last}):\n{self.log_tail()}"
        )


def start_tenantry(port: int, env: dict[str, str], name: str = "tenantry") -> ManagedProcess:
    command = [
        str(VENV_BIN / "tenantry"),
        "serve",
        "--host",
        LOOPBACK,
        "--port",
        str(port),
    ]
    return ManagedProcess(name, command, env)


def start_floor(port: int, dsn: str, pool_size: int, head: str | None) -> ManagedProcess:
    command = [
        sys.executable,
        "-m",
        "bench.floor",
        "--host",
        LOOPBACK,
        "--port",
        str(port),
        "--dsn",
        dsn,
        "--pool-size",
        str(pool_size),
    ]
    if head:
        command += ["--head", head]
    env = {k: v for k, v in os.environ.items() if not k.startswith("TENANTRY_")}
    env["PYTHONPATH"] = str(ROOT)
    return ManagedProcess("floor", command, env)
