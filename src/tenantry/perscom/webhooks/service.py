"""Managing a tenant's webhooks: the rules both ``/v1/webhooks`` and the CLI follow.

Every function takes a tenant-scoped session (the tenant guard and, on PostgreSQL, RLS keep
other tenants' rows out of reach) and raises core errors, which each caller renders.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from tenantry.core.errors import FieldError, NotFound, ValidationFailed
from tenantry.core.webhooks import (
    SigningScheme,
    WebhookDelivery,
    check_destination,
    get_delivery,
    list_deliveries,
    replay,
)
from tenantry.perscom.engine.problems import failure
from tenantry.perscom.engine.runtime import format_datetime
from tenantry.perscom.webhooks.dispatch import (
    ATTEMPTS,
    TIMEOUT_SECONDS,
    payload,
    send,
    subscription_ref,
)
from tenantry.perscom.webhooks.events import TEST_EVENT, unknown_events
from tenantry.perscom.webhooks.models import PerscomWebhook

__all__ = [
    "METHODS",
    "create_webhook",
    "delete_webhook",
    "deliveries",
    "describe",
    "describe_delivery",
    "get_webhook",
    "list_webhooks",
    "replay_delivery",
    "send_test",
    "update_webhook",
]

METHODS = ("get", "post")
MAX_DESCRIPTION = 1000


def describe(hook: PerscomWebhook) -> dict[str, Any]:
    """The wire shape (Tenantry's: PERSCOM has none); the secret is shown, as in the
    dashboard, so that receivers can be set up from it."""
    return {
        "id": hook.id,
        "url": hook.url,
        "method": hook.method,
        "events": list(hook.events or []),
        "secret": hook.secret,
        "description": hook.description,
        "created_at": format_datetime(hook.created_at),
        "updated_at": format_datetime(hook.updated_at),
    }


def describe_delivery(row: WebhookDelivery) -> dict[str, Any]:
    return {
        "id": row.id,
        "delivery_id": row.job_id,
        "event": row.event,
        "url": row.url,
        "attempt": row.attempt,
        "outcome": row.outcome,
        "response_status": row.response_status,
        "error": row.error,
        "duration_ms": row.duration_ms,
        "replay_of": row.replay_of,
        "created_at": format_datetime(row.created_at),
    }


async def _checked(
    fields: Mapping[str, Any], *, creating: bool, allow_private: bool
) -> dict[str, Any]:
    """The fields of a create or update body, validated Laravel's way (422 listing all)."""
    errors: list[FieldError] = []
    values: dict[str, Any] = {}
    url = fields.get("url")
    if "url" in fields or creating:
        if not isinstance(url, str) or not url.strip():
            errors.append(FieldError("url", "The url field is required."))
        elif len(url) > 2048 or not url.lower().startswith(("http://", "https://")):
            errors.append(FieldError("url", "The url field must be a valid URL."))
        else:
            try:
                await check_destination(url.strip(), allow_private)
            except ValidationFailed as exc:  # the SSRF guard's refusal, keyed url
                message = exc.errors[0].message if exc.errors else exc.message
                errors.append(FieldError("url", f"The url cannot be used: {message}"))
            else:
                values["url"] = url.strip()
    method = fields.get("method", "post" if creating else None)
    if "method" in fields or creating:
        if not isinstance(method, str) or method.lower() not in METHODS:
            errors.append(FieldError("method", "The selected method is invalid."))
        else:
            values["method"] = method.lower()
    events = fields.get("events")
    if "events" in fields or creating:
        if not isinstance(events, list) or not events:
            errors.append(FieldError("events", "The events field is required."))
        elif not all(isinstance(e, str) for e in events) or unknown_events(events):
            errors.append(FieldError("events", "The selected events is invalid."))
        else:
            values["events"] = list(dict.fromkeys(events))
    secret = fields.get("secret")
    if "secret" in fields and secret is not None:
        if not isinstance(secret, str) or not 8 <= len(secret) <= 200:
            errors.append(FieldError("secret", "The secret field must be 8 to 200 characters."))
        else:
            values["secret"] = secret
    elif creating:
        values["secret"] = secrets.token_hex(20)
    description = fields.get("description")
    if "description" in fields:
        if description is not None and (
            not isinstance(description, str) or len(description) > MAX_DESCRIPTION
        ):
            errors.append(FieldError("description", "The description field must be a string."))
        else:
            values["description"] = description
    if errors:
        raise failure(errors)
    return values


async def create_webhook(
    session: AsyncSession, fields: Mapping[str, Any], *, allow_private: bool
) -> PerscomWebhook:
    values = await _checked(fields, creating=True, allow_private=allow_private)
    hook = PerscomWebhook(**values)
    session.add(hook)
    await session.flush()
    return hook


async def get_webhook(session: AsyncSession, webhook_id: int) -> PerscomWebhook:
    hook = await session.scalar(select(PerscomWebhook).where(PerscomWebhook.id == webhook_id))
    if hook is None:
        raise NotFound("No query results for model [App\\Models\\Webhook].")
    return hook


async def list_webhooks(session: AsyncSession) -> list[PerscomWebhook]:
    return list((await session.scalars(select(PerscomWebhook).order_by(PerscomWebhook.id))).all())


async def update_webhook(
    session: AsyncSession, webhook_id: int, fields: Mapping[str, Any], *, allow_private: bool
) -> PerscomWebhook:
    hook = await get_webhook(session, webhook_id)
    values = await _checked(fields, creating=False, allow_private=allow_private)
    for name, value in values.items():
        setattr(hook, name, value)
    await session.flush()
    return hook


async def delete_webhook(session: AsyncSession, webhook_id: int) -> PerscomWebhook:
    hook = await get_webhook(session, webhook_id)
    await session.execute(
        delete(PerscomWebhook)
        .where(PerscomWebhook.id == webhook_id)
        .execution_options(synchronize_session=False)
    )
    session.expunge(hook)
    return hook


async def send_test(
    session: AsyncSession,
    webhook_id: int,
    *,
    request_id: str | None = None,
    trace_id: str | None = None,
) -> int:
    """Send ``webhook.test`` now (whatever the webhook listens to); the delivery id."""
    hook = await get_webhook(session, webhook_id)
    shown = describe(hook) | {"secret": None}
    body = payload(TEST_EVENT, shown, None, request_id=request_id, trace_id=trace_id)
    return await send(session, hook.tenant_id, hook, body)


async def deliveries(
    session: AsyncSession, webhook_id: int, *, limit: int = 50, before_id: int | None = None
) -> list[WebhookDelivery]:
    """The webhook's attempts from the core's delivery log, newest first."""
    await get_webhook(session, webhook_id)
    return await list_deliveries(
        session, subscription_ref=subscription_ref(webhook_id), limit=limit, before_id=before_id
    )


async def replay_delivery(session: AsyncSession, webhook_id: int, attempt_id: int) -> int:
    """Send a logged request of this webhook again, with its current URL, method and secret."""
    hook = await get_webhook(session, webhook_id)
    row = await get_delivery(session, attempt_id)
    if row is None or row.subscription_ref != subscription_ref(webhook_id):
        raise NotFound("No such delivery.")
    job = await replay(
        session,
        attempt_id,
        secret=hook.secret,
        endpoint_url=hook.url,
        timeout_seconds=TIMEOUT_SECONDS,
        max_attempts=ATTEMPTS,
        method=hook.method.upper(),
        signing=SigningScheme.BODY_HMAC,
    )
    return int(job.id)
