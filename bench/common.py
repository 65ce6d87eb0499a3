"""Paths, the bench database URL, and small process/network helpers shared by the harness."""

from __future__ import annotations

import os
import platform
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
WORK_DIR = BENCH_DIR / ".work"
PROFILES_DIR = BENCH_DIR / "profiles"
RESULTS_PATH = BENCH_DIR / "RESULTS.md"
HISTORY_PATH = BENCH_DIR / "history.csv"
VENV_BIN = Path(sys.executable).parent

DB_NAME = "tenantry_bench"
PG_HOST = "127.0.0.1"
PG_PORT = 5432
PG_USER = "postgres"
# SQLAlchemy URL (what Tenantry reads) and the plain libpq/asyncpg DSN of the same database.
DATABASE_URL = f"postgresql+asyncpg://{PG_USER}@{PG_HOST}:{PG_PORT}/{DB_NAME}"
ASYNCPG_DSN = f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/{DB_NAME}"
ADMIN_DSN = f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/postgres"

LOOPBACK = "127.0.0.1"


def bench_settings_overrides() -> dict[str, object]:
    """What ``load_settings`` gets for the bench database (same values as the server's env)."""
    return {
        "database_url": DATABASE_URL,
        "data_dir": WORK_DIR,
        "embedded_worker": False,
        "demo_on_first_start": False,
    }


def server_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment of ``tenantry serve`` (and of CLI calls that must see the same secrets)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TENANTRY_")}
    env.update(
        {
            "TENANTRY_DATABASE_URL": DATABASE_URL,
            "TENANTRY_DATA_DIR": str(WORK_DIR),
            "TENANTRY_EMBEDDED_WORKER": "false",
            "TENANTRY_DEMO_ON_FIRST_START": "false",
            "TENANTRY_LOG_LEVEL": "WARNING",
        }
    )
    env.update(extra or {})
    return env


def free_port() -> int:
    """A TCP port on loopback that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


class Stopwatch:
    """Named phase durations, in the order they ran."""

    def __init__(self) -> None:
        self.phases: list[tuple[str, float]] = []

    def record(self, name: str, seconds: float) -> None:
        self.phases.append((name, seconds))

    def timed(self, name: str) -> _Phase:
        return _Phase(self, name)


class _Phase:
    def __init__(self, watch: Stopwatch, name: str) -> None:
        self.watch = watch
        self.name = name
        self.started = 0.0

    def __enter__(self) -> _Phase:
        self.started = time.perf_counter()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.watch.record(self.name, time.perf_counter() - self.started)


@dataclass(frozen=True)
class Machine:
    cpus: int
    cpu_model: str
    memory_gib: float
    kernel: str
    python: str
    postgres: str
    wrk: str
    commit: str
    load_average: str


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def _command_output(args: list[str], timeout: float = 10.0) -> str:
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return (done.stdout or done.stderr).strip()


def load_average() -> str:
    """The 1, 5 and 15 minute load averages."""
    return " ".join(_read("/proc/loadavg").split()[:3]) or "unknown"


def git_commit() -> str:
    head = _command_output(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"]) or "unknown"
    dirty = _command_output(["git", "-C", str(ROOT), "status", "--porcelain", "--", "src"])
    return f"{head}+dirty" if dirty else head


def describe_machine(postgres_version: str, commit: str) -> Machine:
    cpu_model = next(
        (
            line.split(":", 1)[1].strip()
            for line in _read("/proc/cpuinfo").splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    mem_kib = next(
        (
            int(line.split()[1])
            for line in _read("/proc/meminfo").splitlines()
            if line.startswith("MemTotal:")
        ),
        0,
    )
    wrk = shutil.which("wrk")
    wrk_version = _command_output([wrk, "--version"]).splitlines()[0] if wrk else "missing"
    return Machine(
        cpus=os.cpu_count() or 0,
        cpu_model=cpu_model,
        memory_gib=round(mem_kib / 1024 / 1024, 1),
        kernel=platform.release(),
        python=platform.python_version(),
        postgres=postgres_version,
        wrk=wrk_version.split(" [")[0],
        commit=commit,
        load_average=load_average(),
    )
