"""The webhook delivery core against a real HTTP receiver on a 127.0.0.1 socket.

The receiver is a threaded HTTP server that verifies every signature it gets and answers as
the test scripts it (a status, or hanging without an answer). Deliveries run through a real
``Worker`` in this process (a registry of its own, fast backoff), except the crash test,
which SIGKILLs a ``tenantry worker`` subprocess mid-delivery and starts another.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import json
import os
import signal
import ssl
import subprocess
import sys
import textwrap
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import anyio
import httpx
import orjson
import pytest
from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from tests.helpers import ON_POSTGRES, TenantFactory

import tenantry
from tenantry.core.errors import NotFound, PayloadTooLarge, ValidationFailed
from tenantry.core.jobs import Backoff, Job, JobHandlers, Worker
from tenantry.core.tenancy import tenant_session
from tenantry.core.webhooks import (
    BODY_SIGNATURE_HEADER,
    DELIVERY_HEADER,
    DELIVERY_JOB,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    AttemptOutcome,
    DeliveryCompleted,
    SigningScheme,
    WebhookDelivery,
    body_signature,
    check_destination,
    delivery_hooks,
    destinations,
    enqueue_delivery,
    get_delivery,
    list_deliveries,
    refusal_reason,
    replay,
    sign,
    verify_body_signature,
    verify_signature,
)
from tenantry.core.webhooks import delivery as delivery_module
from tenantry.core.webhooks.transport import PinnedTransport
from tenantry.settings import Settings

pytestmark = pytest.mark.anyio

Sessions = async_sessionmaker[AsyncSession]
SECRET = "whsec-test-0123456789"
PUBLIC_IP = ipaddress.ip_address("93.184.216.34")


# --- the receiver ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    signature_ok: bool
    method: str = "POST"


Verifier = Callable[[str, bytes, dict[str, str]], bool]


class Receiver:
    """A webhook endpoint on 127.0.0.1: checks signatures, answers from a script.

    ``script`` holds one action per request (an HTTP status, or ``"hang"`` to keep the
    connection open without answering until released); when it runs out, ``default``.
    ``verify`` checks a signature (Tenantry's scheme unless a face signs otherwise); a
    ``GET`` delivery is recorded with an empty body (its payload is in ``path``).
    """

    def __init__(
        self,
        secret: str = SECRET,
        tls: ssl.SSLContext | None = None,
        verify: Verifier = verify_signature,
    ) -> None:
        self.secret = secret
        self.verify = verify
        self.received: list[Received] = []
        self.script: list[int | str] = []
        self.default: int | str = 200
        self.release = threading.Event()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.do_POST()

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                headers = {name: value for name, value in self.headers.items()}
                with receiver._lock:
                    receiver.received.append(
                        Received(
                            self.path,
                            headers,
                            body,
                            receiver.verify(receiver.secret, body, headers),
                            self.command,
                        )
                    )
                    action = receiver.script.pop(0) if receiver.script else receiver.default
                if action == "hang":
                    receiver.release.wait(60)
                    self.close_connection = True
                    return
                assert isinstance(action, int)
                answer = json.dumps({"status": action}).encode()
                self.send_response(action)
                if 300 <= action < 400:
                    self.send_header("Location", "http://127.0.0.1:1/elsewhere")
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def count(self) -> int:
        with self._lock:
            return len(self.received)

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(empty_job_queue: None) -> Iterator[Receiver]:
    endpoint = Receiver()
    yield endpoint
    endpoint.close()


# --- workers, hooks, helpers ----------------------------------------------------------------


@pytest.fixture
def private_settings(settings: Settings) -> Settings:
    """The receiver listens on loopback: the operator allowed private destinations."""
    return settings.model_copy(update={"allow_private_webhooks": True})


@pytest.fixture
async def empty_job_queue(owner_engine: AsyncEngine) -> None:
    """Start from an empty ``jobs`` table: the database is shared by the whole run."""
    async with owner_engine.begin() as connection:
        await connection.execute(delete(Job))


@asynccontextmanager
async def running_worker(settings: Settings, sessions: Sessions) -> AsyncIterator[Worker]:
    handlers = JobHandlers()
    handlers.register(DELIVERY_JOB)(delivery_module.deliver)
    worker = Worker(
        settings,
        sessions,
        handlers,
        concurrency=2,
        poll_interval=0.05,
        backoff=Backoff(base=0.01, cap=0.05),
        grace_period=0.5,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    try:
        yield worker
    finally:
        stop.set()
        await task


class HookCalls:
    """Records the completion hook calls of one event kind (unique per test)."""

    def __init__(self, event: str) -> None:
        self.event = event
        self.calls: list[DeliveryCompleted] = []
        self.fail_times = 0

    async def __call__(self, completed: DeliveryCompleted) -> None:
        if self.fail_times > 0:
            self.fail_times -= 1
            raise RuntimeError("the hook broke")
        # A hook writes through the job's session: prove it is tenant-scoped and usable.
        rows = await completed.session.scalars(
            select(WebhookDelivery.id).where(WebhookDelivery.id == completed.delivery_id)
        )
        assert rows.all() == [completed.delivery_id]
        self.calls.append(completed)


@pytest.fixture
def hook(request: pytest.FixtureRequest) -> Iterator[HookCalls]:
    calls = HookCalls(f"test.{request.node.name[:60]}")

    async def recorded(completed: DeliveryCompleted) -> None:
        await calls(completed)

    delivery_hooks.register(calls.event)(recorded)
    yield calls
    delivery_hooks.remove(calls.event, recorded)


async def eventually(check: Callable[[], Awaitable[bool]], seconds: float = 20.0) -> None:
    with anyio.fail_after(seconds):
        while True:
            if await check():
                return
            await asyncio.sleep(0.02)


async def send(
    sessions: Sessions,
    tenant_id: int,
    url: str,
    *,
    event: str = "post.status_changed",
    payload: Any = None,
    subscription_ref: str = "postwebhook:12_7",
    **options: Any,
) -> int:
    """Enqueue one delivery and commit; its job id."""
    async with tenant_session(sessions, tenant_id) as session:
        job = await enqueue_delivery(
            session,
            tenant_id=tenant_id,
            endpoint_url=url,
            secret=options.pop("secret", SECRET),
            event=event,
            payload={"data": {"id": "post:12", "status": "live"}} if payload is None else payload,
            subscription_ref=subscription_ref,
            **options,
        )
        return job.id


async def attempts(sessions: Sessions, tenant_id: int, job_id: int) -> list[WebhookDelivery]:
    async with tenant_session(sessions, tenant_id) as session:
        rows = await list_deliveries(session, job_id=job_id)
    return sorted(rows, key=lambda row: row.attempt)


async def job_row(sessions: Sessions, job_id: int) -> Job:
    async with sessions() as session:
        job = await session.get(Job, job_id)
        assert job is not None
        return job


def outcomes(rows: list[WebhookDelivery]) -> list[tuple[int, str]]:
    return [(row.attempt, row.outcome) for row in rows]


# --- signatures ------------------------------------------------------------------------------


class TestSignatures:
    BODY = b'{"data":{"id":"post:12"}}'

    def headers(self, stamp: int = 1_700_000_000, secret: str = SECRET) -> dict[str, str]:
        return {TIMESTAMP_HEADER: str(stamp), SIGNATURE_HEADER: sign(secret, stamp, self.BODY)}

    def test_the_signature_covers_timestamp_and_body(self) -> None:
        import hashlib
        import hmac

        expected = hmac.new(SECRET.encode(), b"1700000000." + self.BODY, hashlib.sha256)
        assert sign(SECRET, 1_700_000_000, self.BODY) == "sha256=" + expected.hexdigest()

    def test_a_fresh_signature_verifies(self) -> None:
        assert verify_signature(SECRET, self.BODY, self.headers(), now=1_700_000_010)
        assert verify_signature(SECRET, self.BODY.decode(), self.headers(), now=1_700_000_010)

    def test_header_names_are_case_insensitive(self) -> None:
        lowered = {name.lower(): value for name, value in self.headers().items()}
        assert verify_signature(SECRET, self.BODY, lowered, now=1_700_000_000)

    @pytest.mark.parametrize(
        "change",
        ["body", "secret", "stale", "future", "timestamp", "missing", "garbage", "empty-secret"],
    )
    def test_anything_else_fails(self, change: str) -> None:
        body, headers, secret, now = self.BODY, self.headers(), SECRET, 1_700_000_000.0
        if change == "body":
            body = body.replace(b"12", b"13")
        elif change == "secret":
            secret = "another-secret"
        elif change == "stale":
            now += 301  # a captured request replayed after the tolerance
        elif change == "future":
            now -= 301
        elif change == "timestamp":
            headers[TIMESTAMP_HEADER] = str(1_700_000_001)  # a fresh stamp on an old body
        elif change == "missing":
            del headers[SIGNATURE_HEADER]
        elif change == "garbage":
            headers[TIMESTAMP_HEADER] = "soon"
        elif change == "empty-secret":
            secret = ""
        assert not verify_signature(secret, body, headers, now=now)

    def test_one_of_several_signatures_may_match(self) -> None:
        headers = self.headers()
        old = sign("old-secret", 1_700_000_000, self.BODY)
        headers[SIGNATURE_HEADER] = f"{old}, {headers[SIGNATURE_HEADER]}"
        assert verify_signature(SECRET, self.BODY, headers, now=1_700_000_000)


# --- the SSRF guard --------------------------------------------------------------------------


REFUSED_UNLESS_PRIVATE = [
    "127.0.0.1",
    "127.8.9.10",
    "::1",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.1.1",
    "fe80::1",
    "fc00::1",
    "0.0.0.0",
    "::",
    "224.0.0.1",
    "ff02::1",
    "100.64.0.1",
    "240.0.0.1",
    "192.0.2.1",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "64:ff9b::7f00:1",
    "2002:7f00:1::1",
]
ALWAYS_REFUSED = [
    "169.254.169.254",
    "169.254.170.2",
    "fd00:ec2::254",
    "100.100.100.200",
    "::ffff:169.254.169.254",
    "64:ff9b::a9fe:a9fe",
]
PUBLIC = [
    "93.184.216.34",
    "8.8.8.8",
    "2606:4700:4700::1111",
    "64:ff9b::808:808",
    "::ffff:8.8.8.8",
]


class TestDestinations:
    @pytest.mark.parametrize("address", REFUSED_UNLESS_PRIVATE)
    def test_internal_addresses_need_the_operators_consent(self, address: str) -> None:
        ip = ipaddress.ip_address(address)
        assert refusal_reason(ip, allow_private=False) is not None
        assert refusal_reason(ip, allow_private=True) is None

    @pytest.mark.parametrize("address", ALWAYS_REFUSED)
    def test_cloud_metadata_is_refused_always(self, address: str) -> None:
        ip = ipaddress.ip_address(address)
        assert "metadata" in (refusal_reason(ip, allow_private=True) or "")
        assert refusal_reason(ip, allow_private=False) is not None

    @pytest.mark.parametrize("address", PUBLIC)
    def test_public_addresses_are_fine(self, address: str) -> None:
        assert refusal_reason(ipaddress.ip_address(address), allow_private=False) is None

    @pytest.mark.parametrize("allow_private", [False, True])
    @pytest.mark.parametrize(
        "url",
        [
            "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
            "http://[fd00:ec2::254]/latest/meta-data/",
            "http://100.100.100.200/latest/meta-data",
            "http://metadata.google.internal/computeMetadata/v1/",
            "http://METADATA.google.internal./computeMetadata/v1/",
        ],
    )
    async def test_metadata_urls_are_a_400_keyed_url(self, url: str, allow_private: bool) -> None:
        with pytest.raises(ValidationFailed) as refused:
            await check_destination(url, allow_private)
        assert [error.key for error in refused.value.errors] == ["url"]
        assert "metadata" in refused.value.errors[0].message

    async def test_a_name_resolving_to_loopback_is_refused_without_consent(self) -> None:
        """``localhost`` really resolves (getaddrinfo): the check looks at the address."""
        with pytest.raises(ValidationFailed) as refused:
            await check_destination("http://localhost:8080/hook", False)
        assert "localhost resolves to" in refused.value.errors[0].message
        allowed = await check_destination("http://localhost:8080/hook", True)
        assert all(address.is_loopback for address in allowed.addresses)
        assert (allowed.host, allowed.port) == ("localhost", 8080)

    async def test_one_internal_address_among_public_ones_is_enough_to_refuse(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        async def resolve(host: str, port: int) -> list[Any]:
            return [PUBLIC_IP, ipaddress.ip_address("10.0.0.5")]

        monkeypatch.setattr(destinations, "resolve_host", resolve)
        with pytest.raises(ValidationFailed) as refused:
            await check_destination("https://hooks.example.com/in", False)
        assert "10.0.0.5" in refused.value.errors[0].message

    async def test_a_public_name_passes_with_its_addresses(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        async def resolve(host: str, port: int) -> list[Any]:
            assert (host, port) == ("hooks.example.com", 443)
            return [PUBLIC_IP]

        monkeypatch.setattr(destinations, "resolve_host", resolve)
        checked = await check_destination("https://Hooks.Example.com/in?x=1", False)
        assert checked.addresses == (PUBLIC_IP,)

    @pytest.mark.parametrize(
        "url",
        [
            "ftp://93.184.216.34/",
            "file:///etc/passwd",
            "gopher://93.184.216.34:70/",
            "http://user:pass@93.184.216.34/",
            "http:///no-host",
            "http://93.184.216.34:99999/",
            "not a url",
            "http://93.184.216.34/\r\nX-Injected: 1",
            "",
            "http://93.184.216.34/" + "a" * 2100,
        ],
    )
    async def test_malformed_urls_are_refused(self, url: str) -> None:
        with pytest.raises(ValidationFailed) as refused:
            await check_destination(url, True)
        assert refused.value.errors[0].key == "url"

    async def test_an_unresolvable_host_is_refused_at_registration(self) -> None:
        with pytest.raises(ValidationFailed) as refused:
            await check_destination("http://no-such-host.invalid/hook", True)
        assert refused.value.errors[0].key == "url"
        assert "resolv" in refused.value.errors[0].message  # "does not resolve" or timed out


# --- deliveries ------------------------------------------------------------------------------


async def test_a_delivery_is_signed_sent_logged_and_reported(
    private_settings: Settings,
    sessions: Sessions,
    make_tenant: TenantFactory,
    receiver: Receiver,
    hook: HookCalls,
) -> None:
    tenant = await make_tenant()
    payload = {"data": {"id": "post:12", "status": "live", "name": "Ünïcode ✓"}}
    job_id = await send(
        sessions,
        tenant,
        receiver.url,
        event=hook.event,
        payload=payload,
        context={"post_id": 12},
        headers={"X-Percolate-Webhook": "webhook:7"},
    )
    async with running_worker(private_settings, sessions):
        await eventually(lambda: _succeeded(sessions, job_id))

    [request] = receiver.received
    assert request.signature_ok
    assert request.body == orjson.dumps(payload)
    assert json.loads(request.body) == payload
    assert request.headers[DELIVERY_HEADER] == str(job_id)
    assert request.headers[EVENT_HEADER] == hook.event
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-Percolate-Webhook"] == "webhook:7"

    [row] = await attempts(sessions, tenant, job_id)
    assert (row.attempt, row.outcome, row.response_status) == (1, "success", 200)
    assert (row.url, row.event, row.subscription_ref) == (
        receiver.url,
        hook.event,
        "postwebhook:12_7",
    )
    assert row.request_body.encode() == request.body
    assert json.loads(row.response_body or "") == {"status": 200}
    assert row.error is None and row.address == "127.0.0.1"
    assert row.duration_ms is not None and 0 <= row.duration_ms < 10_000

    [completed] = hook.calls
    assert (completed.outcome, completed.succeeded, completed.tenant_id) == (
        AttemptOutcome.SUCCESS,
        True,
        tenant,
    )
    assert (completed.context, completed.delivery_id, completed.job_id) == (
        {"post_id": 12},
        row.id,
        job_id,
    )


class TestBodySignature:
    """The vendor-style scheme: a bare hex HMAC-SHA256 of the body in ``Signature``."""

    def test_it_is_the_hex_hmac_of_the_body(self) -> None:
        body = b'{"event":"user.created"}'
        expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert body_signature(SECRET, body) == expected
        assert SigningScheme.BODY_HMAC.headers(SECRET, body) == {BODY_SIGNATURE_HEADER: expected}
        assert verify_body_signature(SECRET, body, {"signature": expected})

    @pytest.mark.parametrize("change", ["body", "secret", "missing"])
    def test_anything_else_fails(self, change: str) -> None:
        body = b'{"a":1}'
        headers = {BODY_SIGNATURE_HEADER: body_signature(SECRET, body)}
        if change == "body":
            assert not verify_body_signature(SECRET, b'{"a":2}', headers)
        elif change == "secret":
            assert not verify_body_signature("other-secret", body, headers)
        else:
            assert not verify_body_signature(SECRET, body, {})


async def test_a_get_delivery_sends_the_payload_as_query_with_a_body_signature(
    private_settings: Settings, sessions: Sessions, make_tenant: TenantFactory
) -> None:
    endpoint = Receiver(verify=verify_body_signature)
    try:
        tenant = await make_tenant()
        payload = {"event": "user.created", "data": {"id": 7, "roles": ["a", "b"], "on": True}}
        job_id = await send(
            sessions,
            tenant,
            endpoint.url,
            event="user.created",
            payload=payload,
            method="GET",
            signing=SigningScheme.BODY_HMAC,
        )
        async with running_worker(private_settings, sessions):
            await eventually(lambda: _succeeded(sessions, job_id))
        [request] = endpoint.received
        assert request.method == "GET" and request.body == b""
        query = dict(parse_qsl(urlsplit(request.path).query))
        assert query == {
            "event": "user.created",
            "data[id]": "7",
            "data[roles][0]": "a",
            "data[roles][1]": "b",
            "data[on]": "1",
        }
        # The signature covers the JSON payload the query was built from (the logged body).
        [row] = await attempts(sessions, tenant, job_id)
        assert verify_body_signature(SECRET, row.request_body, request.headers)
        assert TIMESTAMP_HEADER not in request.headers
    finally:
        endpoint.close()


async def _succeeded(sessions: Sessions, job_id: int) -> bool:
    return (await job_row(sessions, job_id)).state == "succeeded"


async def test_a_500_is_retried_until_the_receiver_takes_it(
    private_settings: Settings,
    sessions: Sessions,
    make_tenant: TenantFactory,
    receiver: Receiver,
    hook: HookCalls,
) -> None:
    tenant = await make_tenant()
    receiver.script = [500, 503, 200]
    job_id = await send(sessions, tenant, receiver.url, event=hook.event)
    async with running_worker(private_settings, sessions):
        await eventually(lambda: _succeeded(sessions, job_id))

    rows = await attempts(sessions, tenant, job_id)
    assert outcomes(rows) == [(1, "retry"), (2, "retry"), (3, "success")]
    assert [row.response_status for row in rows] == [500, 503, 200]
    assert [row.error for row in rows] == ["HTTP 500", "HTTP 503", None]
    assert [r.signature_ok for r in receiver.received] == [True, True, True]
    assert {r.headers[DELIVERY_HEADER] for r in receiver.received} == {str(job_id)}
    assert len({r.body for r in receiver.received}) == 1
    assert [call.outcome for call in hook.calls] == [AttemptOutcome.SUCCESS]
    assert (await job_row(sessions, job_id)).attempts == 3


async def test_the_last_failed_attempt_ends_the_delivery(
    private_settings: Settings,
    sessions: Sessions,
    make_tenant: TenantFactory,
    receiver: Receiver,
    hook: HookCalls,
) -> None:
    tenant = await make_tenant()
    receiver.default = 500
    job_id = await send(sessions, tenant, receiver.url, event=hook.event, max_attempts=3)
    async with running_worker(private_settings, sessions):
        await eventually(lambda: _succeeded(sessions, job_id))
        await asyncio.sleep(0.3)  # nothing more happens

    rows = await attempts(sessions, tenant, job_id)
    assert outcomes(rows) == [(1, "retry"), (2, "retry"), (3, "failure")]
    assert receiver.count() == 3
    [completed] = hook.calls
    assert (completed.outcome, completed.succeeded, completed.response_status) == (
        AttemptOutcome.FAILURE,
        False,
        500,
    )
    assert completed.error == "HTTP 500"


async def test_redirects_are_not_followed(
    private_settings: Settings,
    sessions: Sessions,
    make_tenant: TenantFactory,
    receiver: Receiver,
) -> None:
    tenant = await make_tenant()
    receiver.default = 302
    job_id = await send(sessions, tenant, receiver.url, max_attempts=1)
    async with running_worker(private_settings, sessions):
        await eventually(lambda: _succeeded(sessions, job_id))
    [row] = await attempts(sessions, tenant, job_id)
    assert (row.outcome, row.response_status) == ("failure", 302)
    assert "redirects are not followed" in (row.error or "")
    assert receiver.count() == 1


async def test_a_receiver_that_never_answers_times_out_and_frees_the_worker(
    private_settings: Settings,
    sessions: Sessions,
    make_tenant: TenantFactory,
    receiver: Receiver,
    hook: HookCalls,
) -> None:
    tenant = await make_tenant()
    silent = Receiver()
    silent.default = "hang"
    try:
        stuck = await send(
            sessions, tenant, silent.url, event=hook.event, timeout_seconds=0.4, max_attempts=2
        )
        async with running_worker(private_settings, sessions):
            await eventually(lambda: _succeeded(sessions, stuck))
            # The worker is free: the next delivery goes through.
            healthy = await send(sessions, tenant, receiver.url, timeout_seconds=5)
            await eventually(lambda: _succeeded(sessions, healthy))
    finally:
        silent.close()

    rows = await attempts(sessions, tenant, stuck)
    assert outcomes(rows) == [(1, "retry"), (2, "failure")]
    assert [row.error for row in rows] == ["timed out after 0.4 s"] * 2
    assert all(row.response_status is None for row in rows)
    assert all(350 <= (row.duration_ms or 0) < 5000 for row in rows)
    assert silent.count() == 2
    assert [call.outcome for call in hook.calls] == [AttemptOutcome.FAILURE]
    assert outcomes(await attempts(sessions, tenant, healthy)) == [(1, "success")]


async def test_a_private_destination_is_refused_at_delivery_and_not_retried(
    settings: Settings,
    sessions: Sessions,
    make_tenant: TenantFactory,
    receiver: Receiver,
    hook: HookCalls,
) -> None:
    assert not settings.allow_private_webhooks
    tenant = await make_tenant()
    job_id = await send(sessions, tenant, receiver.url, event=hook.event)
    async with running_worker(settings, sessions):
        await eventually(lambda: _succeeded(sessions, job_id))
    [row] = await attempts(sessions, tenant, job_id)
    assert (row.outcome, row.response_status) == ("refused", None)
    assert row.error == "refused: 127.0.0.1 is a loopback address"
    assert receiver.count() == 0
    assert [call.outcome for call in hook.calls] == [AttemptOutcome.REFUSED]
    assert (await job_row(sessions, job_id)).attempts == 1


async def test_a_name_rebound_to_loopback_after_registration_is_refused(
    settings: Settings,
    sessions: Sessions,
    make_tenant: TenantFactory,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    answers = iter([[PUBLIC_IP], [ipaddress.ip_address("127.0.0.1")]])

    async def rebinding(host: str, port: int) -> list[Any]:
        return next(answers)

    monkeypatch.setattr(destinations, "resolve_host", rebinding)
    url = f"http://rebind.example.com:{receiver.port}/hook"
    await check_destination(url, False)  # registration: a public address
    tenant = await make_tenant()
    job_id = await send(sessions, tenant, url)
    async with running_worker(settings, sessions):
        await eventually(lambda: _succeeded(sessions, job_id))
    [row] = await attempts(sessions, tenant, job_id)
    assert row.outcome == "refused"
    assert row.error == "refused: rebind.example.com resolves to 127.0.0.1 is a loopback address"
    assert receiver.count() == 0


async def test_the_connection_goes_to_the_checked_address(
    private_settings: Settings,
    sessions: Sessions,
    make_tenant: TenantFactory,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``pinned.invalid`` resolves nowhere but in the guard: only a pinned connection works,
    and the receiver still sees the real host name."""
    resolved: list[str] = []

    async def guard_resolver(host: str, port: int) -> list[Any]:
        resolved.append(host)
        return [ipaddress.ip_address("127.0.0.1")]

    monkeypatch.setattr(destinations, "resolve_host", guard_resolver)
    tenant = await make_tenant()
    job_id = await send(sessions, tenant, f"http://pinned.invalid:{receiver.port}/hook")
    async with running_worker(private_settings, sessions):
        await eventually(lambda: _succeeded(sessions, job_id))
    [row] = await attempts(sessions, tenant, job_id)
    assert (row.outcome, row.address) == ("success", "127.0.0.1")
    [request] = receiver.received
    assert request.headers["Host"] == f"pinned.invalid:{receiver.port}"
    assert resolved == ["pinned.invalid"]


async def test_a_failing_completion_hook_rolls_the_attempt_back_and_retries(
    private_settings: Settings,
    sessions: Sessions,
    make_tenant: TenantFactory,
    receiver: Receiver,
    hook: HookCalls,
) -> None:
    tenant = await make_tenant()
    hook.fail_times = 1
    job_id = await send(sessions, tenant, receiver.url, event=hook.event)
    async with running_worker(private_settings, sessions):
        await eventually(lambda: _succeeded(sessions, job_id))
    rows = await attempts(sessions, tenant, job_id)
    assert outcomes(rows) == [(1, "interrupted"), (2, "success")]
    assert "completion hook failed after success: RuntimeError: the hook broke" in (
        rows[0].error or ""
    )
    assert receiver.count() == 2  # at least once: the receiver deduplicates on the id
    assert {r.headers[DELIVERY_HEADER] for r in receiver.received} == {str(job_id)}
    assert len(hook.calls) == 1


async def test_a_hook_failing_on_the_last_attempt_still_ends_the_delivery(
    private_settings: Settings,
    sessions: Sessions,
    make_tenant: TenantFactory,
    receiver: Receiver,
    hook: HookCalls,
) -> None:
    """The last attempt rolled back: the reserved claim sends nothing more, records the
    delivery as failed and calls the hooks, so the producer is never left waiting."""
    tenant = await make_tenant()
    hook.fail_times = 1
    job_id = await send(sessions, tenant, receiver.url, event=hook.event, max_attempts=1)
    async with running_worker(private_settings, sessions):
        await eventually(lambda: _succeeded(sessions, job_id))
    [row] = await attempts(sessions, tenant, job_id)
    assert (row.attempt, row.outcome, row.response_status) == (1, "failure", None)
    assert (row.error or "").startswith("the last attempt did not finish; ")
    assert "completion hook failed after success" in (row.error or "")
    assert receiver.count() == 1
    [completed] = hook.calls
    assert (completed.outcome, completed.attempt, completed.delivery_id) == (
        AttemptOutcome.FAILURE,
        1,
        row.id,
    )
    assert completed.error == row.error
    assert (await job_row(sessions, job_id)).attempts == 2


async def test_an_attempt_cut_short_by_a_graceful_stop_is_marked_by_the_next(
    private_settings: Settings,
    sessions: Sessions,
    make_tenant: TenantFactory,
    receiver: Receiver,
) -> None:
    """A stop interrupts a hanging attempt after the grace period and releases the job
    (the attempt does not count): the next claim has the same number and still cleans up."""
    tenant = await make_tenant()
    receiver.script = ["hang"]
    job_id = await send(sessions, tenant, receiver.url)

    async def in_flight() -> bool:
        return receiver.count() == 1

    async with running_worker(private_settings, sessions):
        await eventually(in_flight)
    released = await job_row(sessions, job_id)
    assert (released.state, released.attempts) == ("queued", 0)
    async with running_worker(private_settings, sessions):
        await eventually(lambda: _succeeded(sessions, job_id))
    async with tenant_session(sessions, tenant) as session:
        rows = sorted(await list_deliveries(session, job_id=job_id), key=lambda row: row.id)
    assert outcomes(rows) == [(1, "interrupted"), (1, "success")]
    assert rows[0].error == "did not finish: the worker stopped"


def self_signed(name: str, directory: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A server context with a certificate for ``name``, and a client context trusting it."""
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_pem = certificate.public_bytes(serialization.Encoding.PEM)
    (directory / "cert.pem").write_bytes(cert_pem)
    (directory / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(directory / "cert.pem", directory / "key.pem")
    client = ssl.create_default_context(cadata=cert_pem.decode())
    return server, client


class TestPinnedTls:
    """Over HTTPS the connection goes to the pinned address while the TLS name and the
    certificate check stay those of the URL's host."""

    async def test_the_certificate_is_checked_against_the_host_name(self, tmp_path: Path) -> None:
        server_tls, client_tls = self_signed("hooks.pinned.test", tmp_path)
        endpoint = Receiver(tls=server_tls)
        try:
            transport = PinnedTransport([ipaddress.ip_address("127.0.0.1")], verify=client_tls)
            async with httpx.AsyncClient(transport=transport) as client:
                answer = await client.post(
                    f"https://hooks.pinned.test:{endpoint.port}/hook", content=b"{}"
                )
            assert answer.status_code == 200
            assert endpoint.received[0].headers["Host"] == f"hooks.pinned.test:{endpoint.port}"
        finally:
            endpoint.close()

    async def test_a_certificate_for_another_name_is_refused(self, tmp_path: Path) -> None:
        server_tls, client_tls = self_signed("hooks.pinned.test", tmp_path)
        endpoint = Receiver(tls=server_tls)
        try:
            transport = PinnedTransport([ipaddress.ip_address("127.0.0.1")], verify=client_tls)
            async with httpx.AsyncClient(transport=transport) as client:
                with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
                    await client.post(f"https://elsewhere.test:{endpoint.port}/hook")
            assert endpoint.count() == 0
        finally:
            endpoint.close()


class TestReplay:
    async def test_a_logged_request_is_sent_again_as_a_new_delivery(
        self,
        private_settings: Settings,
        sessions: Sessions,
        make_tenant: TenantFactory,
        receiver: Receiver,
        hook: HookCalls,
    ) -> None:
        tenant = await make_tenant()
        first = await send(sessions, tenant, receiver.url, event=hook.event)
        async with running_worker(private_settings, sessions):
            await eventually(lambda: _succeeded(sessions, first))
            [original] = await attempts(sessions, tenant, first)
            async with tenant_session(sessions, tenant) as session:
                again = (await replay(session, original.id, secret=SECRET)).id
            await eventually(lambda: _succeeded(sessions, again))

        [replayed] = await attempts(sessions, tenant, again)
        assert (replayed.outcome, replayed.replay_of) == ("success", original.id)
        assert replayed.request_body == original.request_body
        assert [r.body for r in receiver.received] == [original.request_body.encode()] * 2
        assert [r.headers[DELIVERY_HEADER] for r in receiver.received] == [str(first), str(again)]
        assert all(r.signature_ok for r in receiver.received)
        assert len(hook.calls) == 1  # replays do not move business state again

    async def test_a_replay_uses_the_current_secret_and_url(
        self,
        private_settings: Settings,
        sessions: Sessions,
        make_tenant: TenantFactory,
        receiver: Receiver,
    ) -> None:
        tenant = await make_tenant()
        rotated = Receiver(secret="rotated-secret-abcdef")
        try:
            first = await send(sessions, tenant, receiver.url)
            async with running_worker(private_settings, sessions):
                await eventually(lambda: _succeeded(sessions, first))
                [original] = await attempts(sessions, tenant, first)
                async with tenant_session(sessions, tenant) as session:
                    job = await replay(
                        session,
                        original.id,
                        secret="rotated-secret-abcdef",
                        endpoint_url=rotated.url,
                    )
                await eventually(lambda: _succeeded(sessions, job.id))
            [request] = rotated.received
            assert request.signature_ok
            assert request.body == original.request_body.encode()
        finally:
            rotated.close()


class TestLog:
    async def test_the_log_is_read_newest_first_per_subscription(
        self,
        private_settings: Settings,
        sessions: Sessions,
        make_tenant: TenantFactory,
        receiver: Receiver,
    ) -> None:
        tenant = await make_tenant()
        receiver.script = [500]
        ids = [
            await send(sessions, tenant, receiver.url, subscription_ref="webhook:1"),
            await send(sessions, tenant, receiver.url, subscription_ref="webhook:2"),
        ]
        async with running_worker(private_settings, sessions):
            for job_id in ids:
                await eventually(lambda job_id=job_id: _succeeded(sessions, job_id))
        async with tenant_session(sessions, tenant) as session:
            everything = await list_deliveries(session)
            first_hook = await list_deliveries(session, subscription_ref="webhook:1")
            page = await list_deliveries(session, limit=1)
            older = await list_deliveries(session, before_id=page[0].id)
            one = await get_delivery(session, everything[-1].id)
        assert len(everything) == 3
        assert [row.id for row in everything] == sorted(
            (row.id for row in everything), reverse=True
        )
        assert {row.subscription_ref for row in first_hook} == {"webhook:1"}
        assert [row.id for row in page + older] == [row.id for row in everything]
        assert one is not None and one.id == everything[-1].id

    async def test_tenants_see_and_replay_only_their_own_attempts(
        self,
        private_settings: Settings,
        sessions: Sessions,
        make_tenant: TenantFactory,
        receiver: Receiver,
    ) -> None:
        mine, theirs = await make_tenant(), await make_tenant()
        own = await send(sessions, mine, receiver.url)
        other = await send(sessions, theirs, receiver.url)
        async with running_worker(private_settings, sessions):
            await eventually(lambda: _succeeded(sessions, own))
            await eventually(lambda: _succeeded(sessions, other))
        [their_row] = await attempts(sessions, theirs, other)
        async with tenant_session(sessions, mine) as session:
            visible = await list_deliveries(session)
            assert {row.tenant_id for row in visible} == {mine}
            assert await get_delivery(session, their_row.id) is None
            with pytest.raises(NotFound):
                await replay(session, their_row.id, secret=SECRET)
        async with sessions() as unscoped:
            with pytest.raises(ValueError):
                await list_deliveries(unscoped)
            with pytest.raises(ValueError):
                await replay(unscoped, their_row.id, secret=SECRET)

    @pytest.mark.postgres_only
    async def test_row_level_security_hides_other_tenants_rows(
        self,
        private_settings: Settings,
        sessions: Sessions,
        make_tenant: TenantFactory,
        receiver: Receiver,
    ) -> None:
        mine, theirs = await make_tenant(), await make_tenant()
        jobs = [await send(sessions, tenant, receiver.url) for tenant in (mine, theirs)]
        async with running_worker(private_settings, sessions):
            for job_id in jobs:
                await eventually(lambda job_id=job_id: _succeeded(sessions, job_id))
        async with tenant_session(sessions, mine) as session:
            raw = await session.execute(text("SELECT DISTINCT tenant_id FROM webhook_deliveries"))
            assert [row[0] for row in raw] == [mine]


class TestEnqueue:
    async def test_nothing_is_sent_for_a_rolled_back_write(
        self, sessions: Sessions, make_tenant: TenantFactory, receiver: Receiver
    ) -> None:
        tenant = await make_tenant()
        async with sessions(info={"tenant_id": tenant}) as session, session.begin():
            await enqueue_delivery(
                session,
                tenant_id=tenant,
                endpoint_url=receiver.url,
                secret=SECRET,
                event="post.status_changed",
                payload={},
                subscription_ref="webhook:1",
            )
            await session.rollback()
        async with sessions() as session:
            assert (await session.scalars(select(Job))).all() == []

    async def test_the_job_is_for_the_tenant(
        self, sessions: Sessions, make_tenant: TenantFactory, receiver: Receiver
    ) -> None:
        tenant = await make_tenant()
        job_id = await send(sessions, tenant, receiver.url, max_attempts=4)
        job = await job_row(sessions, job_id)
        # One claim more than attempts: the reserved claim that ends a cut-short delivery.
        assert (job.kind, job.tenant_id, job.max_attempts) == (DELIVERY_JOB, tenant, 5)
        assert job.payload["attempts"] == 4

    @pytest.mark.parametrize(
        ("change", "error"),
        [
            ({"endpoint_url": "ftp://example.com/"}, ValidationFailed),
            ({"endpoint_url": "example.com/hook"}, ValidationFailed),
            ({"secret": ""}, ValueError),
            ({"event": "has spaces"}, ValueError),
            ({"subscription_ref": ""}, ValueError),
            ({"headers": {"X-Tenantry-Signature": "forged"}}, ValueError),
            ({"headers": {"host": "elsewhere"}}, ValueError),
            ({"timeout_seconds": 0}, ValueError),
            ({"payload": {"blob": "x" * (6 * 1024 * 1024)}}, PayloadTooLarge),
        ],
    )
    async def test_bad_requests_are_refused(
        self,
        sessions: Sessions,
        make_tenant: TenantFactory,
        change: dict[str, Any],
        error: type[Exception],
    ) -> None:
        tenant = await make_tenant()
        arguments: dict[str, Any] = {
            "tenant_id": tenant,
            "endpoint_url": "https://hooks.example.com/in",
            "secret": SECRET,
            "event": "post.status_changed",
            "payload": {},
            "subscription_ref": "webhook:1",
            **change,
        }
        async with tenant_session(sessions, tenant) as session:
            with pytest.raises(error):
                await enqueue_delivery(session, **arguments)


# --- a worker killed mid-delivery ------------------------------------------------------------

HOOK_MODULE = "webhook_crash_hooks"
HOOK_SOURCE = '''
"""Imported by the worker subprocess (TENANTRY_JOB_MODULES): records each completion."""

from sqlalchemy import text

from tenantry.core.webhooks import DeliveryCompleted, delivery_hooks


@delivery_hooks.register("crash-test.publish")
async def published(completed: DeliveryCompleted) -> None:
    await completed.session.execute(
        text(
            "INSERT INTO webhook_crash_effects (job_id, attempt, outcome) "
            "VALUES (:job, :attempt, :outcome)"
        ),
        {"job": completed.job_id, "attempt": completed.attempt, "outcome": completed.outcome},
    )
'''


@pytest.fixture
async def crash_effects(owner_engine: AsyncEngine, settings: Settings) -> AsyncIterator[None]:
    async with owner_engine.begin() as connection:
        await connection.execute(
            text(
                "CREATE TABLE webhook_crash_effects "
                "(job_id BIGINT NOT NULL, attempt INTEGER NOT NULL, outcome VARCHAR(20))"
            )
        )
        if ON_POSTGRES:
            await connection.execute(
                text(f"GRANT SELECT, INSERT ON webhook_crash_effects TO {settings.database_role}")
            )
    yield
    async with owner_engine.begin() as connection:
        await connection.execute(text("DROP TABLE webhook_crash_effects"))


def spawn_worker(settings: Settings, tmp_path: Path, log: Path) -> subprocess.Popen[bytes]:
    source_root = Path(tenantry.__file__).resolve().parent.parent
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            [str(tmp_path), str(source_root), os.environ.get("PYTHONPATH", "")]
        ),
        "TENANTRY_DATABASE_URL": settings.effective_database_url,
        "TENANTRY_DATA_DIR": str(tmp_path / "data"),
        "TENANTRY_JOB_MODULES": f"tenantry.core.webhooks.delivery,{HOOK_MODULE}",
        "TENANTRY_ALLOW_PRIVATE_WEBHOOKS": "1",
        "TENANTRY_JOB_LEASE_SECONDS": "2",
        "TENANTRY_JOB_POLL_INTERVAL": "0.1",
        "TENANTRY_JOB_BACKOFF_BASE": "0.05",
        "TENANTRY_LOG_LEVEL": "INFO",
    }
    with log.open("ab") as sink:
        return subprocess.Popen(
            [sys.executable, "-m", "tenantry", "worker"], env=env, stdout=sink, stderr=sink
        )


@pytest.mark.slow
async def test_a_worker_killed_mid_delivery_is_finished_by_the_next_one(
    settings: Settings,
    sessions: Sessions,
    make_tenant: TenantFactory,
    receiver: Receiver,
    crash_effects: None,
    tmp_path: Path,
) -> None:
    (tmp_path / f"{HOOK_MODULE}.py").write_text(textwrap.dedent(HOOK_SOURCE))
    log = tmp_path / "workers.log"
    tenant = await make_tenant()
    receiver.script = ["hang"]  # the first request waits for an answer that never comes
    job_id = await send(sessions, tenant, receiver.url, event="crash-test.publish")

    async def wait(
        condition: Callable[[], Awaitable[bool]], proc: subprocess.Popen[bytes], what: str
    ) -> None:
        try:
            with anyio.fail_after(60):
                while not await condition():
                    if proc.poll() is not None:
                        pytest.fail(f"worker exited before {what}:\n{log.read_text()}")
                    await asyncio.sleep(0.05)
        except TimeoutError:
            pytest.fail(f"timed out waiting for {what}:\n{log.read_text()}")

    async def in_flight() -> bool:
        return receiver.count() == 1

    first = spawn_worker(settings, tmp_path, log)
    try:
        await wait(in_flight, first, "the first attempt to reach the receiver")
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    assert first.returncode == -signal.SIGKILL
    assert outcomes(await attempts(sessions, tenant, job_id)) == [(1, "pending")]

    async def delivered() -> bool:
        return await _succeeded(sessions, job_id)

    second = spawn_worker(settings, tmp_path, log)
    try:
        await wait(delivered, second, "the delivery to succeed")
    finally:
        second.send_signal(signal.SIGTERM)
        try:
            second.wait(timeout=30)
        except subprocess.TimeoutExpired:
            second.kill()
            raise
    assert second.returncode == 0, log.read_text()

    rows = await attempts(sessions, tenant, job_id)
    assert outcomes(rows) == [(1, "interrupted"), (2, "success")]
    assert rows[0].error is not None and "lease expired" in rows[0].error
    assert receiver.count() == 2
    assert all(request.signature_ok for request in receiver.received)
    assert {r.headers[DELIVERY_HEADER] for r in receiver.received} == {str(job_id)}
    async with sessions() as session:
        effects = (
            await session.execute(
                text("SELECT job_id, attempt, outcome FROM webhook_crash_effects")
            )
        ).all()
    assert [tuple(row) for row in effects] == [(job_id, 2, "success")]


@pytest.mark.slow
async def test_a_worker_killed_on_the_last_attempt_leaves_a_failed_delivery(
    settings: Settings,
    sessions: Sessions,
    make_tenant: TenantFactory,
    receiver: Receiver,
    crash_effects: None,
    tmp_path: Path,
) -> None:
    """Without the reserved claim the reaper would bury the job and no hook would run."""
    (tmp_path / f"{HOOK_MODULE}.py").write_text(textwrap.dedent(HOOK_SOURCE))
    log = tmp_path / "workers.log"
    tenant = await make_tenant()
    receiver.default = "hang"
    job_id = await send(sessions, tenant, receiver.url, event="crash-test.publish", max_attempts=1)

    async def in_flight() -> bool:
        return receiver.count() == 1

    async def finished() -> bool:
        return await _succeeded(sessions, job_id)

    first = spawn_worker(settings, tmp_path, log)
    try:
        with anyio.fail_after(60):
            while not await in_flight():
                assert first.poll() is None, log.read_text()
                await asyncio.sleep(0.05)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    second = spawn_worker(settings, tmp_path, log)
    try:
        with anyio.fail_after(60):
            while not await finished():
                assert second.poll() is None, log.read_text()
                await asyncio.sleep(0.05)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=30)
    [row] = await attempts(sessions, tenant, job_id)
    assert (row.attempt, row.outcome) == (1, "failure")
    assert (row.error or "").startswith("the last attempt did not finish; ")
    assert "lease expired" in (row.error or "")
    assert receiver.count() == 1  # nothing was sent again
    async with sessions() as session:
        effects = (
            await session.execute(
                text("SELECT job_id, attempt, outcome FROM webhook_crash_effects")
            )
        ).all()
    assert [tuple(row) for row in effects] == [(job_id, 1, "failure")]
