"""Soak: mixed traffic on both faces for a long time; memory and connections must stay flat.

    .venv/bin/python -m bench.soak                   # 30 minutes on the bench database
    .venv/bin/python -m bench.soak --minutes 1 --database-url postgresql+asyncpg://…/mine

One ``tenantry serve`` process; ``--clients`` concurrent clients loop over a mix of PERSCOM
reads, searches and writes and Percolate reads and writes, plus refused requests (bad
credentials, oversized bodies), as a real mixed population would send. Each minute the
server's resident set size and its open TCP connections are sampled. After the warm-up
(the first ``--warmup`` minutes), both must stay within 10 % of their post-warm-up mean.
The report is written as the "Soak" section of ``bench/RESULTS.md`` (replaced on each run)
and printed.

Not a test: it takes half an hour and uses the shared bench database by default.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.common import DATABASE_URL, WORK_DIR, free_port, git_commit, load_average, server_env
from bench.servers import start_tenantry

RESULTS = Path(__file__).parent / "RESULTS.md"
SECTION = "## Soak"
FLAT = 0.10


@dataclass
class Sample:
    minute: int
    rss_mib: float
    connections: int
    requests: int
    errors_5xx: int


@dataclass
class Tally:
    requests: int = 0
    server_errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)

    def count(self, status: int) -> None:
        self.requests += 1
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if status >= 500:
            self.server_errors += 1


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def open_connections(pid: int) -> int:
    """TCP sockets the process holds (its fds pointing at sockets listed in /proc/net/tcp*)."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        found = re.match(r"socket:\[(\d+)\]", target)
        if found:
            inodes.add(found.group(1))
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as lines:
                next(lines)
                for line in lines:
                    parts = line.split()
                    if parts[9] in inodes and parts[3] == "01":  # ESTABLISHED
                        count += 1
        except FileNotFoundError:
            continue
    return count


async def credentials(database_url: str) -> tuple[dict[str, str], dict[str, str]]:
    """A fresh tenant with a PERSCOM ``*`` key and a Percolate administrator's token."""
    from tenantry.core.db import create_engine, session_factory
    from tenantry.core.identity import service as identity
    from tenantry.core.tenancy import tenant_session
    from tenantry.percolate.oauth.cli import create_oauth_client, create_token
    from tenantry.perscom.apikeys import ApiKeyIssuer, SigningKeys
    from tenantry.settings import load_settings

    settings = load_settings(database_url=database_url, data_dir=WORK_DIR, embedded_worker=False)
    engine = create_engine(settings)
    sessions = session_factory(engine)
    try:
        async with sessions() as session, session.begin():
            tenant_id = (await identity.create_tenant(session, f"Soak {uuid.uuid4().hex[:6]}")).id
        async with tenant_session(sessions, tenant_id) as session:
            user = await identity.create_user(
                session,
                email=f"soak-{uuid.uuid4().hex[:6]}@example.com",
                name="Soak",
                roles=["admin"],
            )
            user_id = user.id
        issuer = ApiKeyIssuer(SigningKeys.load(settings), settings)
        async with tenant_session(sessions, tenant_id) as session:
            key = await issuer.issue(session, tenant_id, name="soak", scopes=["*"], user_id=user_id)
        client = await create_oauth_client(
            settings,
            sessions,
            tenant_id=tenant_id,
            name="soak",
            redirect_uri="https://soak.example/cb",
        )
        token = await create_token(
            settings, sessions, tenant_id=tenant_id, user_id=user_id, client_id=client["client_id"]
        )
    finally:
        await engine.dispose()
    perscom = {"Authorization": f"Bearer {key.token}", "X-Perscom-Id": str(tenant_id)}
    percolate = {"Authorization": f"Bearer {token['access_token']}"}
    return perscom, percolate


async def one_request(
    http: httpx.AsyncClient, perscom: dict[str, str], percolate: dict[str, str], rng: random.Random
) -> int:
    pick = rng.random()
    if pick < 0.30:
        response = await http.get("/v1/users", params={"limit": 15}, headers=perscom)
    elif pick < 0.40:
        response = await http.post(
            "/v1/users/search", json={"search": {"value": "Soak"}}, headers=perscom
        )
    elif pick < 0.48:
        name = f"Soak {rng.randrange(10**9)}"
        response = await http.post(
            "/v1/users",
            json={"name": name, "email": f"{uuid.uuid4().hex}@soak.example"},
            headers=perscom,
        )
    elif pick < 0.70:
        response = await http.get("/api/v5/user/", params={"limit": 20}, headers=percolate)
    elif pick < 0.80:
        response = await http.get("/api/v5/me", headers=percolate)
    elif pick < 0.86:
        response = await http.post(
            "/api/v5/scope/",
            json={"name": f"Brand {rng.randrange(10**9)}", "kind": "brand"},
            headers=percolate,
        )
    elif pick < 0.92:
        response = await http.get("/v1/users", headers={"Authorization": "Bearer nonsense"})
    elif pick < 0.96:
        response = await http.post(
            "/api/v5/user/",
            content=b"x" * (5 * 1024 * 1024),
            headers={**percolate, "Content-Type": "application/json"},
        )
    else:
        response = await http.get("/healthz")
    return response.status_code


async def client_loop(
    base_url: str,
    perscom: dict[str, str],
    percolate: dict[str, str],
    tally: Tally,
    stop: asyncio.Event,
    seed: int,
) -> None:
    rng = random.Random(seed)
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
        while not stop.is_set():
            try:
                tally.count(await one_request(http, perscom, percolate, rng))
            except httpx.HTTPError:
                tally.count(599)


async def soak(minutes: int, clients: int, warmup: int, database_url: str) -> list[Sample]:
    port = free_port()
    env = server_env(
        {
            "TENANTRY_DATABASE_URL": database_url,
            "TENANTRY_BASE_URL": f"http://127.0.0.1:{port}",
            "TENANTRY_PERSCOM_KEY_RATE": "100000000/minute",
            "TENANTRY_PERSCOM_IP_RATE": "100000000/minute",
            "TENANTRY_PERCOLATE_TOKEN_RATE": "100000000/minute",
        }
    )
    perscom, percolate = await credentials(database_url)
    server = start_tenantry(port, env)
    try:
        server.wait_ready(port, "/healthz", timeout=240)
        tally = Tally()
        stop = asyncio.Event()
        base_url = f"http://127.0.0.1:{port}"
        tasks = [
            asyncio.create_task(client_loop(base_url, perscom, percolate, tally, stop, seed))
            for seed in range(clients)
        ]
        samples: list[Sample] = []
        started = time.monotonic()
        for minute in range(1, minutes + 1):
            await asyncio.sleep(max(0.0, started + 60 * minute - time.monotonic()))
            sample = Sample(
                minute,
                rss_mib(server.pid),
                open_connections(server.pid),
                tally.requests,
                tally.server_errors,
            )
            samples.append(sample)
            print(
                f"min {minute:3d}  rss {sample.rss_mib:8.1f} MiB  conns {sample.connections:4d}  "
                f"requests {sample.requests:8d}  5xx {sample.errors_5xx}",
                flush=True,
            )
        stop.set()
        await asyncio.gather(*tasks)
    finally:
        server.stop()
    write_report(samples, minutes, clients, warmup)
    return samples


def flatness(values: list[float]) -> float:
    """Largest relative distance from the mean (0.05 = every value within 5 %)."""
    if not values:
        return 0.0
    mean = sum(values) / len(values)
    return max(abs(value - mean) for value in values) / mean if mean else 0.0


def write_report(samples: list[Sample], minutes: int, clients: int, warmup: int) -> None:
    steady = [sample for sample in samples if sample.minute > warmup] or samples
    rss_spread = flatness([s.rss_mib for s in steady])
    conn_spread = flatness([float(s.connections) for s in steady])
    verdict = "flat" if rss_spread <= FLAT and conn_spread <= FLAT else "NOT flat"
    lines = [
        SECTION,
        "",
        f"`python -m bench.soak` at commit `{git_commit()}`: {minutes} min, {clients} clients, "
        f"warm-up {warmup} min; load average after: {load_average()}.",
        f"After warm-up RSS spread {rss_spread:.1%}, connections spread {conn_spread:.1%} "
        f"(bound {FLAT:.0%}): **{verdict}**. 5xx: {samples[-1].errors_5xx if samples else 0}.",
        "",
        "| minute | RSS MiB | open connections | requests so far | 5xx so far |",
        "|---:|---:|---:|---:|---:|",
        *(
            f"| {s.minute} | {s.rss_mib:.1f} | {s.connections} | {s.requests} | {s.errors_5xx} |"
            for s in samples
        ),
        "",
    ]
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    before = text.split(SECTION, 1)[0].rstrip() + "\n\n"
    RESULTS.write_text(before + "\n".join(lines))
    print("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--minutes", type=int, default=30)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--database-url", default=DATABASE_URL)
    args = parser.parse_args()
    asyncio.run(
        soak(args.minutes, args.clients, min(args.warmup, args.minutes - 1), args.database_url)
    )


if __name__ == "__main__":
    main()
