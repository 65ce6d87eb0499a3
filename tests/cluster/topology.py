"""A running ``scripts/cluster.sh`` topology, as the cluster tests drive it: its ports,
processes, logs and databases, and the credentials they load it with."""

from __future__ import annotations

import email
import email.policy
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from tests.signin import PASSWORD, Person

from tenantry.core.db import create_engine, session_factory
from tenantry.core.identity import service as identity
from tenantry.core.tenancy import tenant_session
from tenantry.percolate.oauth.cli import create_oauth_client, create_token
from tenantry.perscom.cli import create_api_key
from tenantry.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "cluster.sh"
SERVES = ("serve-1", "serve-2", "serve-3")
#: Ports the script uses above its base (balancer, replicas, databases, Redis, SMTP, S3).
SPAN = 30
KEYS = 10
"""Credentials per face for the load: each stays well under its 1,000 requests a minute."""


def free_base() -> int:
    """A base port whose whole span is free on loopback."""
    for _ in range(200):
        base = 20000 + (uuid.uuid4().int % 4000) * 10
        with ExitStack() as stack:
            try:
                for port in range(base, base + SPAN):
                    sock = stack.enter_context(socket.socket())
                    sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return base
    raise RuntimeError("no free block of loopback ports")


def read_env(path: Path) -> dict[str, str]:
    """``export NAME='value'`` lines, as the script writes them."""
    values = {}
    for line in path.read_text().splitlines():
        name, _, value = line.removeprefix("export ").partition("=")
        values[name] = value.strip("'")
    return values


@dataclass
class Credentials:
    tenant_id: int
    user_id: int
    person: Person
    perscom: list[str] = field(default_factory=list)
    """PERSCOM API keys (``*`` scope); the last one is kept out of the load."""
    perscom_ids: list[int] = field(default_factory=list)
    percolate: list[str] = field(default_factory=list)

    def perscom_headers(self, index: int) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.perscom[index]}",
            "X-Perscom-Id": str(self.tenant_id),
            "Accept": "application/json",
        }

    def percolate_headers(self, index: int) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.percolate[index]}"}


@dataclass
class Cluster:
    directory: Path
    base: int
    script_env: dict[str, str]
    env: dict[str, str]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.base}"

    def serve_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.base + int(name.rsplit('-', 1)[1])}"

    @property
    def stats_url(self) -> str:
        return f"http://127.0.0.1:{self.base + 9}/;csv"

    @property
    def primary_port(self) -> int:
        return self.base + 11

    @property
    def replica_port(self) -> int:
        return self.base + 12

    def log(self, name: str) -> Path:
        return self.directory / "log" / f"{name}.log"

    def pid(self, name: str) -> int:
        return int((self.directory / "run" / f"{name}.pid").read_text())

    def kill(self, name: str, sig: signal.Signals = signal.SIGKILL) -> None:
        os.kill(self.pid(name), sig)

    def mails(self) -> list[str]:
        """The decoded text of every mail the SMTP sink received."""
        texts = []
        for path in (self.directory / "mail").glob("*/*"):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            parts = [
                part.get_content()
                for part in message.walk()
                if part.get_content_maintype() == "text"
            ]
            texts.append("\n".join(str(part) for part in parts))
        return texts

    def running(self, name: str) -> bool:
        try:
            os.kill(self.pid(name), 0)
        except ProcessLookupError:
            return False
        return True

    def script(self, *args: str, timeout: float = 120) -> None:
        result = subprocess.run(
            [str(SCRIPT), *args],
            env=self.script_env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert result.returncode == 0, f"cluster.sh {' '.join(args)}:\n{result.stderr}"

    def start_part(self, name: str) -> subprocess.Popen[bytes]:
        """Restart one part in the background (``cluster.sh start-part``); wait on it."""
        return subprocess.Popen(
            [str(SCRIPT), "start-part", name],
            env=self.script_env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def settings(self) -> Settings:
        return Settings(
            database_url=self.env["TENANTRY_DATABASE_URL"],
            data_dir=Path(self.env["TENANTRY_DATA_DIR"]),
            secret_key=self.env["TENANTRY_SECRET_KEY"],
            redis_url=self.env["TENANTRY_REDIS_URL"],
        )

    def psql(self, sql: str, *, port: int | None = None) -> str:
        result = subprocess.run(
            [
                *("psql", "-qtA", "-h", "127.0.0.1", "-p", str(port or self.primary_port)),
                *("-U", "postgres", "-d", "tenantry", "-c", sql),
            ],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        return result.stdout.strip()

    def backend_states(self) -> dict[str, str]:
        """HAProxy's view of each replica (``UP``, ``DOWN``, ...)."""
        rows = httpx.get(self.stats_url, timeout=5).text.splitlines()
        header = rows[0].lstrip("# ").split(",")
        states = {}
        for row in rows[1:]:
            cells = dict(zip(header, row.split(","), strict=False))
            if cells.get("pxname") == "replicas" and cells.get("svname") in SERVES:
                states[cells["svname"]] = cells["status"]
        return states

    def wait_until_up(self, name: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while self.backend_states().get(name) != "UP":
            assert time.monotonic() < deadline, f"{name} is not back behind the balancer"
            time.sleep(0.2)


def missing_tools() -> list[str]:
    tools = ["haproxy", "redis-server", "wrk", "psql", "pg_basebackup"]
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if not list(Path("/usr/lib/postgresql").glob("*/bin/initdb")):
        missing.append("initdb")
    return missing


async def make_credentials(settings: Settings) -> Credentials:
    engine = create_engine(settings)
    sessions = session_factory(engine)
    try:
        async with sessions() as session, session.begin():
            tenant = await identity.create_tenant(session, f"Cluster {uuid.uuid4().hex[:8]}")
            tenant_id = tenant.id
        email = f"admin-{uuid.uuid4().hex[:8]}@example.com"
        async with tenant_session(sessions, tenant_id) as session:
            user = await identity.create_user(
                session, email=email, name="Ada Admin", password=PASSWORD, roles=["admin"]
            )
            user_id = user.id
        found = Credentials(tenant_id, user_id, Person(tenant_id, user_id, email))
        for index in range(KEYS + 1):
            key = await create_api_key(
                settings, sessions, tenant_id=tenant_id, name=f"load {index}", scopes=["*"]
            )
            found.perscom.append(key["token"])
            found.perscom_ids.append(key["id"])
        for index in range(KEYS):  # a new token for the same user and client disables the last
            client = await create_oauth_client(
                settings,
                sessions,
                tenant_id=tenant_id,
                name=f"cluster {index}",
                redirect_uri="https://client.example.org/callback",
            )
            token = await create_token(
                settings,
                sessions,
                tenant_id=tenant_id,
                user_id=user_id,
                client_id=client["client_id"],
            )
            found.percolate.append(token["access_token"])
        return found
    finally:
        await engine.dispose()
