"""The scale-out topology keeps working while its parts fail (real servers, loopback).

In file order: load through the balancer while replicas are killed and drained; a worker
killed during webhook deliveries and an export; the rate limit shared by the replicas; a
revocation seen by every replica within a second; routed reads on the streaming replica;
a primary restart that loses no acknowledged write.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import signal
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from tests.cluster.topology import KEYS, SERVES, Cluster, Credentials
from tests.signin import csrf_of, sign_in

from tenantry.settings import Settings

pytestmark = pytest.mark.timeout(240)

WRK_SCRIPT = """
local requests = {}
local next_index = 0
%(entries)s
request = function()
  next_index = next_index %% #requests + 1
  local entry = requests[next_index]
  return wrk.format("GET", entry[1], entry[2])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%%d connect=%%d read=%%d write=%%d status=%%d timeout=%%d\\n",
    summary.requests, e.connect, e.read, e.write, e.status, e.timeout))
end
"""


def _lua_entry(path: str, headers: dict[str, str]) -> str:
    fields = ", ".join(f"[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items())
    return f"table.insert(requests, {{{json.dumps(path)}, {{{fields}}}}})"


def _wrk_script(credentials: Credentials, directory: Path) -> Path:
    """Both faces, every load credential in turn: PERSCOM users and Percolate's me."""
    entries = []
    for index in range(KEYS):
        entries.append(
            _lua_entry(f"/v1/users/{credentials.user_id}", credentials.perscom_headers(index))
        )
        entries.append(_lua_entry("/api/v5/me", credentials.percolate_headers(index)))
    path = directory / "load.lua"
    path.write_text(WRK_SCRIPT % {"entries": "\n".join(entries)})
    return path


def test_load_survives_a_killed_and_a_drained_replica(
    cluster: Cluster, credentials: Credentials, tmp_path: Path
) -> None:
    wrk = shutil.which("wrk")
    assert wrk is not None
    script = _wrk_script(credentials, tmp_path)
    # Four connections keep the load modest; wrk stops (and reports) on SIGINT once the
    # drill is over, so a slow machine lengthens the load instead of outlasting it.
    command = [wrk, "-t1", "-c4", "-d300s", "--timeout", "10s", "-s", str(script), cluster.url]
    load = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    restarts: list[subprocess.Popen[bytes]] = []
    try:
        time.sleep(3)
        cluster.kill("serve-2")  # mid-load, with requests in flight on it
        restarts.append(cluster.start_part("serve-2"))
        cluster.kill("serve-3", signal.SIGTERM)  # and a rolling restart: drain, then stop
        deadline = time.monotonic() + 30
        while cluster.running("serve-3"):
            assert time.monotonic() < deadline, "serve-3 did not stop after draining"
            time.sleep(0.2)
        restarts.append(cluster.start_part("serve-3"))
        for restart in restarts:
            assert restart.wait(timeout=120) == 0
        for name in ("serve-2", "serve-3"):
            cluster.wait_until_up(name)
        time.sleep(2)  # back in rotation under load
        load.send_signal(signal.SIGINT)
        output, _ = load.communicate(timeout=30)
    finally:
        if load.poll() is None:
            load.kill()
            load.wait()
        for restart in restarts:
            if restart.poll() is None:
                restart.wait(timeout=120)
        for name in ("serve-2", "serve-3"):  # the drills after this one need all three
            if not cluster.running(name):
                cluster.script("start-part", name)
    print(output)  # shown with -s: the figures of the run
    result = re.search(r"RESULT (.*)", output)
    assert result, output
    counts = {k: int(v) for k, v in (pair.split("=") for pair in result.group(1).split())}
    assert counts["requests"] > 100, output
    errors = {k: v for k, v in counts.items() if k != "requests" and v}
    assert errors == {}, output


class Receiver:
    """A webhook endpoint on loopback that counts what arrives, slowly (0.2 s each), so a
    worker has deliveries in flight when it is killed."""

    def __init__(self) -> None:
        self.arrivals: list[str] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                self.rfile.read(length)
                time.sleep(0.2)
                with receiver.lock:
                    receiver.arrivals.append(self.headers.get("X-Tenantry-Delivery", "?"))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def count(self) -> Counter[str]:
        with self.lock:
            return Counter(self.arrivals)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    thread = threading.Thread(target=found.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield found
    finally:
        found.server.shutdown()
        found.server.server_close()


def _worker_holding_a_job(cluster: Cluster) -> str | None:
    owners = cluster.psql("SELECT lease_owner FROM jobs WHERE state = 'running'").splitlines()
    pids = {owner.split(":")[1] for owner in owners if owner}
    for name in ("worker-1", "worker-2"):
        if str(cluster.pid(name)) in pids:
            return name
    return None


def test_a_killed_worker_loses_no_job(
    cluster: Cluster, credentials: Credentials, receiver: Receiver
) -> None:
    headers = credentials.perscom_headers(0)
    with httpx.Client(base_url=cluster.url, timeout=30) as http:
        hook = http.post(
            "/v1/webhooks",
            headers=headers,
            json={"url": receiver.url, "events": ["user.created"], "method": "post"},
        )
        assert hook.status_code == 201, hook.text
        export = http.post(
            "/api/v5/export",
            headers=credentials.percolate_headers(0),
            json={"type": "user"},
        )
        assert export.status_code == 201, export.text
        export_id = export.json()["data"]["id"]
        users = 24
        for index in range(users):
            made = http.post(
                "/v1/users",
                headers=headers,
                json={
                    "name": f"Load {index}",
                    "email": f"load-{uuid.uuid4().hex[:10]}@example.com",
                },
            )
            assert made.status_code == 201, made.text

    # Kill the worker that holds a delivery right now (SIGKILL: no lease handed back).
    deadline = time.monotonic() + 30
    while (victim := _worker_holding_a_job(cluster)) is None:
        assert time.monotonic() < deadline, "no worker ever held a job"
        time.sleep(0.05)
    cluster.kill(victim)

    deadline = time.monotonic() + 90
    while len(receiver.count()) < users:
        assert time.monotonic() < deadline, f"only {len(receiver.count())} of {users} arrived"
        time.sleep(0.2)
    cluster.script("start-part", victim)

    # Each delivery job finishes once: the killed worker's jobs stay "running" until their
    # lease runs out, then another worker finishes them (what was in flight is sent again).
    ids = ",".join(receiver.count())
    deadline = time.monotonic() + 120
    while (
        states := cluster.psql(
            f"SELECT state, count(*) FROM jobs WHERE id IN ({ids}) GROUP BY state"
        )
    ) != f"succeeded|{users}":
        assert time.monotonic() < deadline, states
        time.sleep(0.5)
    arrivals = receiver.count()
    assert len(arrivals) == users
    redelivered = sum(count - 1 for count in arrivals.values())
    print(f"{users} deliveries, {redelivered} redelivered after the kill of {victim}")
    assert redelivered <= 4, arrivals  # at most the killed worker's concurrency

    with httpx.Client(base_url=cluster.url, timeout=30) as http:
        deadline = time.monotonic() + 60
        while True:
            shown = http.get(
                f"/api/v5/export/{export_id}", headers=credentials.percolate_headers(0)
            ).json()["data"]
            if shown["status"] == "complete":
                break
            assert time.monotonic() < deadline, shown
            time.sleep(0.3)
    # The job mails the requester the link once (the SMTP sink's Maildir holds every mail).
    deadline = time.monotonic() + 60
    while (mailed := sum(export_id in text for text in cluster.mails())) == 0:
        assert time.monotonic() < deadline, "the export's mail never arrived"
        time.sleep(0.3)
    assert mailed == 1


async def _hammer(cluster: Cluster, credentials: Credentials, total: int) -> list[int]:
    """``total`` requests on one key, dealt round-robin to the replicas, 12 at a time; the
    statuses in the order the requests were sent."""
    headers = credentials.perscom_headers(KEYS)  # never used by the load
    path = f"/v1/users/{credentials.user_id}"
    clients = [httpx.AsyncClient(base_url=cluster.serve_url(name), timeout=30) for name in SERVES]
    gate = asyncio.Semaphore(12)

    async def one(index: int) -> int:
        async with gate:
            return (await clients[index % 3].get(path, headers=headers)).status_code

    try:
        return list(await asyncio.gather(*(one(index) for index in range(total))))
    finally:
        for client in clients:
            await client.aclose()


def test_the_rate_limit_is_shared_by_the_replicas(
    cluster: Cluster, credentials: Credentials
) -> None:
    statuses = asyncio.run(_hammer(cluster, credentials, 1100))
    assert Counter(statuses) == {200: 1000, 429: 100}
    # Twelve in flight at a time: only the last few hundred sent can be the refused ones.
    assert all(status == 200 for status in statuses[:988])


async def _revoke_on_first_and_watch_the_others(
    cluster: Cluster, credentials: Credentials
) -> list[int]:
    key_id = credentials.perscom_ids[1]
    headers = credentials.perscom_headers(1)
    path = f"/v1/users/{credentials.user_id}"
    others = [httpx.AsyncClient(base_url=cluster.serve_url(name)) for name in SERVES[1:]]
    async with httpx.AsyncClient(base_url=cluster.serve_url("serve-1")) as first:
        for replica in [first, *others]:  # warm whatever each replica keeps per key
            assert (await replica.get(path, headers=headers)).status_code == 200
        await sign_in(first, credentials.person, next_path="/console/")
        confirm = await first.get(f"/console/api-keys/{key_id}/revoke")
        assert confirm.status_code == 200, confirm.text
        revoked = await first.post(
            f"/console/api-keys/{key_id}/revoke", data={"csrf_token": csrf_of(confirm.text)}
        )
        assert revoked.status_code == 303, revoked.text
    deadline = time.monotonic() + 1.0
    statuses = [0, 0]
    while True:
        for index, replica in enumerate(others):
            if statuses[index] != 401:
                statuses[index] = (await replica.get(path, headers=headers)).status_code
        if statuses == [401, 401] or time.monotonic() >= deadline:
            break
    for replica in others:
        await replica.aclose()
    return statuses


def test_a_revocation_on_one_replica_is_refused_by_the_others_within_a_second(
    cluster: Cluster, credentials: Credentials
) -> None:
    assert asyncio.run(_revoke_on_first_and_watch_the_others(cluster, credentials)) == [401, 401]


@pytest.mark.skipif(
    "database_replica_url" not in Settings.model_fields,
    reason="read routing (TENANTRY_DATABASE_REPLICA_URL) is not in this build yet",
)
def test_routed_reads_run_on_the_streaming_replica(
    cluster: Cluster, credentials: Credentials
) -> None:
    lag = cluster.psql("SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")
    assert lag == "1"
    before = len(cluster.log("replica").read_text(errors="replace"))
    with httpx.Client(base_url=cluster.url, timeout=30) as http:
        for face in ("/v1/spec.yaml", "/api/v5/spec.yaml"):
            assert http.get(face).status_code == 200
        export = http.post(
            "/api/v5/export", headers=credentials.percolate_headers(2), json={"type": "user"}
        )
        assert export.status_code == 201, export.text
        export_id = export.json()["data"]["id"]
        deadline = time.monotonic() + 60
        while (
            http.get(
                f"/api/v5/export/{export_id}", headers=credentials.percolate_headers(2)
            ).json()["data"]["status"]
            != "complete"
        ):
            assert time.monotonic() < deadline
            time.sleep(0.3)
    statements = cluster.log("replica").read_text(errors="replace")[before:]
    assert re.search(r"(?:statement|execute [^:]+): .*\busers\b", statements), statements[-3000:]


def test_a_primary_restart_loses_no_acknowledged_write(
    cluster: Cluster, credentials: Credentials
) -> None:
    headers = credentials.perscom_headers(2)
    acknowledged: list[int] = []
    refused: list[int] = []
    stop = threading.Event()

    def write() -> None:
        with httpx.Client(base_url=cluster.url, timeout=30) as http:
            while not stop.is_set():
                try:
                    made = http.post(
                        "/v1/users",
                        headers=headers,
                        json={"name": "Durable", "email": f"d-{uuid.uuid4().hex[:10]}@x.org"},
                    )
                except httpx.HTTPError:  # cut while the database restarts: not acknowledged
                    refused.append(0)
                    continue
                if made.status_code == 201:
                    acknowledged.append(made.json()["data"]["id"])
                else:  # refused while the database is away (or every replica out of rotation)
                    refused.append(made.status_code)
                    time.sleep(0.1)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        time.sleep(1.5)
        cluster.script("start-part", "primary")  # pg_ctl stop -m fast, then start
        after_restart = len(acknowledged)
        deadline = time.monotonic() + 60
        while len(acknowledged) < after_restart + 10:
            assert time.monotonic() < deadline, f"writes did not resume: {refused[-5:]}"
            time.sleep(0.2)
    finally:
        stop.set()
        writer.join(timeout=60)
    print(f"{len(acknowledged)} writes acknowledged, {len(refused)} refused: {Counter(refused)}")
    ids = ",".join(str(user_id) for user_id in acknowledged)
    found = cluster.psql(f"SELECT count(*) FROM users WHERE id IN ({ids})")
    assert int(found) == len(acknowledged)
    # Refused while the database was away: a 503 to retry (or a cut connection), never a 500.
    assert set(refused) <= {0, 502, 503}, Counter(refused)
