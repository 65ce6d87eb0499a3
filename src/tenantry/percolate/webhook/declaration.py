"""The webhook resource: webhook and delivery ids, events and the wire fields of both."""

from __future__ import annotations

from typing import Literal

from tenantry.core.webhooks import WebhookDelivery
from tenantry.percolate.api.common import owned_by_scopes, visible_in_reach
from tenantry.percolate.api.fields import (
    column,
    column_list,
    columns_of,
    compile_presenter,
    scope,
    timestamp,
    typed_id,
)
from tenantry.percolate.api.ids import IdKind
from tenantry.percolate.api.params import ids_param, int_param
from tenantry.percolate.api.resource import Resource
from tenantry.percolate.webhook.models import Webhook

KIND = IdKind("webhook")
POST = IdKind("post")
DELIVERY = IdKind("webhook_delivery")
STATUS_CHANGED = "post.status_changed"
EVENTS = (STATUS_CHANGED,)
Event = Literal["post.status_changed"]


TEST_EVENT = "webhook.test"
"""Sent on request (the console's test button) whatever the webhook listens to."""


def subscription_ref(post_key: int, webhook_key: int) -> str:
    """How the delivery log names a post webhook's deliveries."""
    return f"postwebhook:{post_key}_{webhook_key}"


def test_ref(webhook_key: int) -> str:
    """How the delivery log names a webhook's test events (no post is involved)."""
    return f"webhook:{webhook_key}"


RESOURCE = Resource(
    kind=KIND,
    model=Webhook,
    title="Webhook",
    fields=(
        typed_id("webhook", Webhook.id),
        scope(Webhook.scope_id),
        column(Webhook.url, {"type": "string", "format": "uri"}),
        column_list(
            Webhook.events, {"type": "array", "items": {"type": "string", "enum": list(EVENTS)}}
        ),
        timestamp(Webhook.created_at),
        timestamp(Webhook.updated_at),
    ),
    visible=visible_in_reach("webhook:read", Webhook.scope_id),
    filters=(owned_by_scopes(Webhook.scope_id),),
)


def all_events() -> list[Event]:
    return ["post.status_changed"]


DELIVERY_FIELDS = (
    typed_id("webhook_delivery", WebhookDelivery.id),
    column(WebhookDelivery.job_id, name="delivery_id"),
    column(WebhookDelivery.subscription_ref, name="subscription"),
    column(WebhookDelivery.event),
    column(WebhookDelivery.url),
    column(WebhookDelivery.attempt),
    column(WebhookDelivery.outcome),
    column(WebhookDelivery.response_status),
    column(WebhookDelivery.error),
    column(WebhookDelivery.duration_ms),
    typed_id("webhook_delivery", WebhookDelivery.replay_of),
    timestamp(WebhookDelivery.created_at),
)
"""An attempt in a webhook's delivery log."""
DELIVERY_COLUMNS = columns_of(DELIVERY_FIELDS)
present_delivery = compile_presenter(DELIVERY_FIELDS, "present_delivery")


DELIVERY_PARAMS = (
    int_param("limit", "At most this many attempts, newest first.", default=50, minimum=1,
              maximum=200, clamp=True),
    int_param("offset", "Skip this many attempts.", default=0, minimum=0, maximum=100_000),
    ids_param("post_ids", POST, "Only deliveries of these posts."),
)  # fmt: skip
