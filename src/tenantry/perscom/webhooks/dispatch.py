"""From announcements to deliveries: one signed delivery per webhook listening to an event,
enqueued in the transaction of the write that caused it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tenantry.core.base import utcnow
from tenantry.core.resources.scoped import of_tenant
from tenantry.core.webhooks import SigningScheme, enqueue_delivery
from tenantry.perscom.engine.announce import Announcement
from tenantry.perscom.engine.runtime import format_datetime
from tenantry.perscom.webhooks.models import PerscomWebhook

__all__ = ["ATTEMPTS", "TIMEOUT_SECONDS", "dispatch", "payload", "send", "subscription_ref"]

TIMEOUT_SECONDS = 3.0
ATTEMPTS = 3
"""PERSCOM's ``config/webhook-server.php``: 3 s per request, 3 tries."""


def subscription_ref(webhook_id: int) -> str:
    """How the delivery log names a PERSCOM webhook's deliveries."""
    return f"perscom-webhook:{webhook_id}"


def payload(
    event: str,
    data: Any,
    changes: Any,
    *,
    request_id: str | None,
    trace_id: str | None,
) -> dict[str, Any]:
    """The body PERSCOM's ``WebhookService`` sends."""
    return {
        "event": event,
        "created": format_datetime(utcnow()),
        "request_id": request_id,
        "trace_id": trace_id,
        "data": data,
        "changes": changes,
    }


async def send(
    session: AsyncSession, tenant_id: int, hook: PerscomWebhook, body: dict[str, Any]
) -> int:
    """Enqueue one delivery of ``body`` to ``hook``; the job id is the delivery id."""
    job = await enqueue_delivery(
        session,
        tenant_id=tenant_id,
        endpoint_url=hook.url,
        secret=hook.secret,
        event=str(body["event"]),
        payload=body,
        subscription_ref=subscription_ref(hook.id),
        timeout_seconds=TIMEOUT_SECONDS,
        max_attempts=ATTEMPTS,
        method=hook.method.upper(),
        signing=SigningScheme.BODY_HMAC,
    )
    return int(job.id)


async def dispatch(
    session: AsyncSession,
    tenant_id: int,
    announcements: Sequence[Announcement],
    *,
    request_id: str | None = None,
    trace_id: str | None = None,
) -> int:
    """Enqueue every announcement to every webhook of the tenant that listens to it; how
    many deliveries were enqueued. One query for the webhooks, none if nothing happened."""
    if not announcements:
        return 0
    hooks = (
        await session.scalars(
            select(PerscomWebhook)
            .where(of_tenant(PerscomWebhook, tenant_id))
            .order_by(PerscomWebhook.id)
        )
    ).all()
    sent = 0
    for announcement in announcements:
        for hook in hooks:
            if announcement.event in (hook.events or []):
                body = payload(
                    announcement.event,
                    announcement.data,
                    announcement.changes,
                    request_id=request_id,
                    trace_id=trace_id,
                )
                await send(session, tenant_id, hook, body)
                sent += 1
    return sent
