"""Webhook deliveries as jobs: enqueue in the producer's transaction, send from a worker.

:func:`enqueue_delivery` adds a ``core.webhooks.deliver`` job in the caller's transaction, so
a delivery exists exactly when the write that caused it commits. The job serialises nothing
at send time: the body is fixed at enqueue, so every attempt (and a replay) sends the same
bytes, each signed with a fresh timestamp.

One attempt, in the worker:

1. a ``pending`` row is committed to the delivery log (its own short transaction), and
   earlier attempts still ``pending`` are marked ``interrupted``: their worker died;
2. the URL is checked again and resolved (SSRF guard), the connection pinned to the checked
   address, and the signed request POSTed with a timeout; nothing is written meanwhile, so
   a slow receiver holds no database lock;
3. a 2xx, a refusal by the guard, or a failure on the last attempt is *final*: the row is
   completed and the completion hooks run in the job's transaction, atomically with the
   job's completion. Any other failure completes the row as ``retry`` in its own
   transaction and raises, and the job system retries after its jittered backoff.

The job gets one claim more than the delivery has attempts. A worker that dies on the last
attempt leaves the job to the reaper, which would bury it with no final outcome, and the
completion hooks would never run (a post would stay ``queued.publishing`` for good). The
reserved claim sends nothing: it records the cut-short last attempt as the delivery's
``failure`` and runs the hooks, so every delivery that is not a replay ends with exactly
one hook call (unless that short database-only claim dies too).

Delivery is at least once: a worker killed after the receiver answered but before the commit
sends again on the next attempt, with the same ``X-Tenantry-Delivery`` id.

The timeout of an attempt is the producer's (``timeout_seconds``) or, by default, the
operator's ``TENANTRY_WEBHOOK_TIMEOUT_SECONDS`` read by the worker when it sends.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import anyio
import httpx
import orjson
import structlog
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tenantry.core.audit import note
from tenantry.core.errors import FieldError, NotFound, PayloadTooLarge, ValidationFailed
from tenantry.core.jobs import Job, JobContext, enqueue, job_handlers
from tenantry.core.tenancy import tenant_of, tenant_session
from tenantry.core.webhooks.destinations import (
    DestinationRefused,
    DestinationUnresolved,
    resolve_destination,
)
from tenantry.core.webhooks.hooks import DeliveryCompleted, delivery_hooks
from tenantry.core.webhooks.model import AttemptOutcome, WebhookDelivery
from tenantry.core.webhooks.querystring import query_pairs
from tenantry.core.webhooks.signing import DELIVERY_HEADER, EVENT_HEADER, SigningScheme
from tenantry.core.webhooks.transport import PinnedTransport

__all__ = [
    "DEFAULT_MAX_ATTEMPTS",
    "DEFAULT_TIMEOUT_SECONDS",
    "DELIVERY_JOB",
    "MAX_BODY_BYTES",
    "AttemptResult",
    "CompletionHookFailed",
    "DeliveryFailed",
    "deliver",
    "enqueue_delivery",
    "replay",
    "send_attempt",
]

logger = structlog.get_logger(__name__)

DELIVERY_JOB = "core.webhooks.deliver"
DEFAULT_TIMEOUT_SECONDS = 10.0
MAX_TIMEOUT_SECONDS = 60.0
DEFAULT_MAX_ATTEMPTS = 8
"""With the default backoff (1 s doubling, capped at 5 min, full jitter) the last attempt
comes within about ten minutes."""
MAX_BODY_BYTES = 5 * 1024 * 1024
MAX_EXCERPT_BYTES = 2048
USER_AGENT = "Tenantry-Webhooks/1"
METHODS = ("POST", "GET")
"""A ``GET`` delivery sends the payload as query parameters (:mod:`.querystring`); the
signature still covers the JSON body, which is what the receiver rebuilds."""
_EVENT = re.compile(r"^[A-Za-z0-9_.:-]{1,100}$")
_RESERVED_HEADERS = frozenset(
    {
        "host",
        "content-type",
        "content-length",
        "transfer-encoding",
        "user-agent",
        "connection",
    }
)


class DeliveryFailed(RuntimeError):
    """An attempt failed and will be retried (the job system's backoff decides when)."""


class CompletionHookFailed(RuntimeError):
    """A completion hook raised: the attempt is rolled back and the job retried."""


async def enqueue_delivery(
    session: AsyncSession,
    *,
    tenant_id: int,
    endpoint_url: str,
    secret: str,
    event: str,
    payload: Any,
    subscription_ref: str,
    context: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    timeout_seconds: float | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    run_at: datetime | None = None,
    dedupe_key: str | None = None,
    method: str = "POST",
    signing: SigningScheme = SigningScheme.TENANTRY,
) -> Job:
    """Deliver ``payload`` (any JSON value) to ``endpoint_url``, signed with ``secret``, once
    the caller commits. The job's id is the delivery id the receiver sees.

    The URL should have passed :func:`check_destination` when it was registered; here it
    is only checked for shape (it is checked fully before every attempt). ``context``
    travels to the completion hooks of ``event``; ``headers`` are sent as well (they cannot
    replace the signature, content or host headers). ``dedupe_key`` makes a producer that
    may run twice enqueue once. ``timeout_seconds`` None: the worker's configured timeout.
    ``method`` and ``signing`` follow the receiver's conventions (see :data:`METHODS`).
    """
    body = orjson.dumps(payload).decode()
    return await _enqueue(
        session,
        tenant_id=tenant_id,
        url=endpoint_url,
        secret=secret,
        event=event,
        body=body,
        subscription_ref=subscription_ref,
        context=dict(context or {}),
        headers=dict(headers or {}),
        timeout_seconds=timeout_seconds,
        max_attempts=max_attempts,
        run_at=run_at,
        dedupe_key=dedupe_key,
        replay_of=None,
        method=method,
        signing=signing,
    )


async def replay(
    session: AsyncSession,
    delivery_id: int,
    *,
    secret: str,
    endpoint_url: str | None = None,
    timeout_seconds: float | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    method: str = "POST",
    signing: SigningScheme = SigningScheme.TENANTRY,
) -> Job:
    """Send the request of a logged attempt again, as a new delivery.

    ``session`` must be scoped to the tenant (another tenant's attempt is ``NotFound``).
    The secret and, optionally, the URL are the endpoint's *current* ones: the log keeps no
    secret, and a replay after a rotation must verify with the new one. Replays do not call
    completion hooks.
    """
    if tenant_of(session) is None:
        raise ValueError("replay needs a tenant-scoped session")
    original = await session.scalar(
        select(WebhookDelivery).where(WebhookDelivery.id == delivery_id)
    )
    if original is None:
        raise NotFound(message=f"No webhook delivery {delivery_id}.")
    job = await _enqueue(
        session,
        tenant_id=original.tenant_id,
        url=endpoint_url or original.url,
        secret=secret,
        event=original.event,
        body=original.request_body,
        subscription_ref=original.subscription_ref,
        context={},
        headers={},
        timeout_seconds=timeout_seconds,
        max_attempts=max_attempts,
        run_at=None,
        dedupe_key=None,
        replay_of=original.id,
        method=method,
        signing=signing,
    )
    note(
        session.sync_session,
        WebhookDelivery.__tablename__,
        str(original.id),
        "replay",
        {"replayed_by_job": [None, job.id]},
    )
    return job


async def _enqueue(
    session: AsyncSession,
    *,
    tenant_id: int,
    url: str,
    secret: str,
    event: str,
    body: str,
    subscription_ref: str,
    context: dict[str, Any],
    headers: dict[str, str],
    timeout_seconds: float | None,
    max_attempts: int,
    run_at: datetime | None,
    dedupe_key: str | None,
    replay_of: int | None,
    method: str,
    signing: SigningScheme,
) -> Job:
    if not isinstance(url, str) or not re.match(r"^https?://[^\s/?#]+", url) or len(url) > 2048:
        raise ValidationFailed(
            message="The webhook URL cannot be used.",
            errors=[FieldError(key="url", message="must be an absolute http or https URL")],
        )
    if not secret:
        raise ValueError("a webhook secret must not be empty")
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}")
    if not _EVENT.match(event):
        raise ValueError(f"event {event!r} must be 1-100 of A-Z a-z 0-9 _ . : -")
    if not subscription_ref or len(subscription_ref) > 200:
        raise ValueError("subscription_ref must be 1 to 200 characters")
    if timeout_seconds is not None and not 0 < timeout_seconds <= MAX_TIMEOUT_SECONDS:
        raise ValueError(f"timeout_seconds must be within (0, {MAX_TIMEOUT_SECONDS}]")
    reserved = {name for name in headers if name.lower() in _RESERVED_HEADERS} | {
        name for name in headers if name.lower().startswith("x-tenantry-")
    }
    if reserved:
        raise ValueError(f"headers {sorted(reserved)} are set by the delivery itself")
    if len(body.encode()) > MAX_BODY_BYTES:
        raise PayloadTooLarge(message=f"A webhook body is limited to {MAX_BODY_BYTES} bytes.")
    job_payload = {
        "url": url,
        "secret": secret,
        "event": event,
        "body": body,
        "subscription_ref": subscription_ref,
        "context": context,
        "headers": headers,
        "timeout": timeout_seconds,
        "replay_of": replay_of,
        "attempts": max_attempts,
        "method": method,
        "signing": SigningScheme(signing).value,
    }
    return await enqueue(
        session,
        DELIVERY_JOB,
        job_payload,
        tenant_id=tenant_id,
        run_at=run_at,
        max_attempts=max_attempts + 1,  # the reserved claim (module docstring)
        dedupe_key=dedupe_key,
    )


@dataclass(frozen=True, slots=True)
class AttemptResult:
    """What one HTTP attempt came to (never an exception: failures are data here)."""

    outcome: AttemptOutcome
    """``SUCCESS``, ``REFUSED``, or ``RETRY`` for any other failure (the caller decides
    whether it is the last)."""
    response_status: int | None = None
    response_body: str | None = None
    error: str | None = None
    duration_ms: int = 0
    address: str | None = None


async def send_attempt(
    *,
    url: str,
    secret: str,
    event: str,
    body: str,
    delivery_id: int,
    allow_private: bool,
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    headers: Mapping[str, str] | None = None,
    method: str = "POST",
    signing: SigningScheme = SigningScheme.TENANTRY,
) -> AttemptResult:
    """Check the destination, then send the signed body to the checked address."""
    started = time.perf_counter()

    def elapsed() -> int:
        return round((time.perf_counter() - started) * 1000)

    try:
        destination = await resolve_destination(url, allow_private=allow_private)
    except DestinationRefused as exc:
        return AttemptResult(AttemptOutcome.REFUSED, error=f"refused: {exc}", duration_ms=elapsed())
    except DestinationUnresolved as exc:
        return AttemptResult(AttemptOutcome.RETRY, error=str(exc), duration_ms=elapsed())
    raw = body.encode()
    request_headers = {
        **dict(headers or {}),
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        EVENT_HEADER: event,
        DELIVERY_HEADER: str(delivery_id),
        **SigningScheme(signing).headers(secret, raw),
    }
    content: bytes | None = raw
    params: list[tuple[str, str | int | float | bool | None]] | None = None
    if method == "GET":
        content, params = None, list(query_pairs(orjson.loads(raw)))
    transport = PinnedTransport(destination.addresses)
    status: int | None = None
    excerpt: str | None = None
    error: str | None = None
    try:
        async with httpx.AsyncClient(
            transport=transport,
            timeout=httpx.Timeout(timeout_seconds),
            follow_redirects=False,
            trust_env=False,
        ) as client:
            # httpx times each phase; this bounds the whole exchange (a trickling receiver).
            with anyio.fail_after(timeout_seconds):
                async with client.stream(
                    method, url, content=content, params=params, headers=request_headers
                ) as response:
                    status = response.status_code
                    excerpt = await _excerpt(response)
    except (TimeoutError, httpx.TimeoutException):
        error = f"timed out after {timeout_seconds:g} s"
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    connected = transport.backend.connected_to
    address = str(connected) if connected is not None else None
    if error is None and status is not None:
        if 200 <= status < 300:
            return AttemptResult(
                AttemptOutcome.SUCCESS, status, excerpt, duration_ms=elapsed(), address=address
            )
        error = f"HTTP {status}" + (" (redirects are not followed)" if 300 <= status < 400 else "")
    return AttemptResult(
        AttemptOutcome.RETRY, status, excerpt, error, duration_ms=elapsed(), address=address
    )


async def _excerpt(response: httpx.Response) -> str:
    """The start of the answer, raw (undecoded: a compressed bomb stays small)."""
    collected = bytearray()
    async for chunk in response.aiter_raw():
        collected += chunk
        if len(collected) >= MAX_EXCERPT_BYTES:
            break
    return bytes(collected[:MAX_EXCERPT_BYTES]).decode("utf-8", "replace")


@job_handlers.register(DELIVERY_JOB)
async def deliver(ctx: JobContext, payload: dict[str, Any]) -> None:
    """One attempt of one delivery (see the module docstring for the three steps)."""
    if ctx.tenant_id is None:
        raise ValueError("a webhook delivery job must belong to a tenant")
    tenant_id = ctx.tenant_id
    # Jobs enqueued before the reserved claim existed carry no "attempts": all claims send.
    attempts = int(payload.get("attempts") or ctx.max_attempts)
    if ctx.attempt > attempts:
        row_id, result = await _abandon(ctx, payload, attempts)
        await _finish(ctx, payload, row_id, attempts, result, AttemptOutcome.FAILURE)
        return
    row_id = await _open_attempt(ctx, tenant_id, payload)
    result = await send_attempt(
        url=payload["url"],
        secret=payload["secret"],
        event=payload["event"],
        body=payload["body"],
        delivery_id=ctx.job_id,
        allow_private=ctx.settings.allow_private_webhooks,
        timeout_seconds=float(payload.get("timeout") or ctx.settings.webhook_timeout_seconds),
        headers=payload.get("headers") or {},
        method=str(payload.get("method") or "POST"),
        signing=SigningScheme(payload.get("signing") or SigningScheme.TENANTRY.value),
    )
    outcome = result.outcome
    if outcome is AttemptOutcome.RETRY and ctx.attempt >= attempts:
        outcome = AttemptOutcome.FAILURE
    if not outcome.is_final:
        async with tenant_session(ctx.session_factory, tenant_id) as session:
            await _complete(session, row_id, result, outcome)
        raise DeliveryFailed(result.error or "delivery failed")
    await _complete(ctx.session, row_id, result, outcome)
    await _finish(ctx, payload, row_id, ctx.attempt, result, outcome)


async def _finish(
    ctx: JobContext,
    payload: dict[str, Any],
    row_id: int,
    attempt: int,
    result: AttemptResult,
    outcome: AttemptOutcome,
) -> None:
    """Run the completion hooks of a delivery that reached ``outcome`` (not for replays)."""
    assert ctx.tenant_id is not None
    if payload.get("replay_of") is None:
        completed = DeliveryCompleted(
            session=ctx.session,
            tenant_id=ctx.tenant_id,
            event=payload["event"],
            subscription_ref=payload["subscription_ref"],
            context=payload.get("context") or {},
            job_id=ctx.job_id,
            delivery_id=row_id,
            attempt=attempt,
            outcome=outcome,
            response_status=result.response_status,
            error=result.error,
        )
        try:
            await delivery_hooks.fire(completed)
        except Exception as exc:
            # Nothing more can be written here: on SQLite the job's transaction holds the
            # write lock. It rolls back; the next attempt marks this row interrupted and
            # copies this message from the job's last error.
            raise CompletionHookFailed(
                f"completion hook failed after {outcome.value}: {type(exc).__name__}: {exc}"
            ) from exc
    logger.info(
        "webhook delivered" if outcome is AttemptOutcome.SUCCESS else "webhook delivery failed",
        outcome=outcome.value,
        status=result.response_status,
        duration_ms=result.duration_ms,
        subscription=payload["subscription_ref"],
    )


async def _abandon(
    ctx: JobContext, payload: dict[str, Any], attempts: int
) -> tuple[int, AttemptResult]:
    """The reserved claim: every attempt was used and the last did not finish. Its log row
    (any still ``pending``) becomes the delivery's ``failure``; nothing is sent."""
    last_error = await ctx.session.scalar(select(Job.last_error).where(Job.id == ctx.job_id))
    error = f"the last attempt {_interruption(last_error)}"
    rows = (
        await ctx.session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.job_id == ctx.job_id)
            .order_by(WebhookDelivery.id.desc())
        )
    ).all()
    for row in rows[1:]:
        if row.outcome == AttemptOutcome.PENDING.value:
            row.outcome, row.error = AttemptOutcome.INTERRUPTED.value, _interruption(last_error)
    if rows and not AttemptOutcome(rows[0].outcome).is_final:
        final = rows[0]
    else:  # the last attempt died before it could log itself
        final = WebhookDelivery(
            job_id=ctx.job_id,
            subscription_ref=payload["subscription_ref"],
            event=payload["event"],
            url=payload["url"],
            request_body=payload["body"],
            attempt=attempts,
            replay_of=payload.get("replay_of"),
        )
        ctx.session.add(final)
    final.outcome, final.error = AttemptOutcome.FAILURE.value, error
    await ctx.session.flush()
    return final.id, AttemptResult(AttemptOutcome.FAILURE, error=error)


async def _open_attempt(ctx: JobContext, tenant_id: int, payload: dict[str, Any]) -> int:
    """Commit the ``pending`` row before sending, so even a crash leaves a trace."""
    async with tenant_session(ctx.session_factory, tenant_id) as session:
        # Whoever held this job before us is gone (one lease at a time), so any row still
        # pending is theirs. Not keyed on the attempt number: a job released at a graceful
        # stop is claimed again with the same number.
        stale = await session.scalars(
            select(WebhookDelivery.id).where(
                WebhookDelivery.job_id == ctx.job_id,
                WebhookDelivery.outcome == AttemptOutcome.PENDING.value,
            )
        )
        if stale_ids := list(stale.all()):
            last_error = await session.scalar(select(Job.last_error).where(Job.id == ctx.job_id))
            await session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id.in_(stale_ids))
                .values(outcome=AttemptOutcome.INTERRUPTED.value, error=_interruption(last_error))
                .execution_options(synchronize_session=False)
            )
        row = WebhookDelivery(
            job_id=ctx.job_id,
            subscription_ref=payload["subscription_ref"],
            event=payload["event"],
            url=payload["url"],
            request_body=payload["body"],
            attempt=ctx.attempt,
            outcome=AttemptOutcome.PENDING.value,
            replay_of=payload.get("replay_of"),
        )
        session.add(row)
        await session.flush()
        return row.id


def _interruption(last_error: str | None) -> str:
    """Why an attempt never finished, as far as the job knows: the reaper's "lease expired:
    worker ...", or the last line of the exception that rolled the attempt back."""
    lines = [line.strip() for line in (last_error or "").splitlines() if line.strip()]
    if not lines:
        return "did not finish: the worker stopped"
    return f"did not finish; the delivery's last error: {lines[-1][:500]}"


async def _complete(
    session: AsyncSession, row_id: int, result: AttemptResult, outcome: AttemptOutcome
) -> None:
    await session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == row_id)
        .values(
            outcome=outcome.value,
            response_status=result.response_status,
            response_body=result.response_body,
            error=result.error,
            duration_ms=result.duration_ms,
            address=result.address,
        )
        .execution_options(synchronize_session=False)
    )
