"""What the console's webhook pages of both faces share: a webhook's delivery log (newest
first, a page of attempts before ``?before=<id>``, payload and response as excerpts), the
notices after an action, and the confirmation asked before a delivery is replayed.

Each face keeps its own rules (services, forms, scopes); only the page shapes meet here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.responses import Response

from tenantry.console.layout import PAGE_SIZE, render
from tenantry.core.errors import NotFound
from tenantry.core.webhooks import WebhookDelivery
from tenantry.web.templating import Page

EXCERPT = 2000
NOTICES = {
    "test": "A test event is on its way. Reload to see the delivery.",
    "replay": "The delivery is queued again. Reload to see the new attempt.",
    "saved": "The webhook is saved.",
}
"""What the webhook page says after ``?done=<action>``."""

__all__ = [
    "NOTICES",
    "attempt_view",
    "before_id",
    "delete_confirmation",
    "delivery_log",
    "replay_confirmation",
]


def before_id(page: Page) -> int | None:
    """``?before=<id>``: show the attempts older than ``id``; anything else, the newest."""
    before = page.request.query_params.get("before", "")
    return int(before) if before.isdigit() and len(before) < 19 else None


def delivery_log(rows: Sequence[WebhookDelivery], before: int | None) -> dict[str, Any]:
    """The page's log from up to ``PAGE_SIZE + 1`` rows (one more tells an older page exists)."""
    shown = rows[:PAGE_SIZE]
    return {
        "attempts": [attempt_view(row) for row in shown],
        "older": shown[-1].id if len(rows) > PAGE_SIZE and shown else None,
        "newest": before is not None,
    }


def attempt_view(row: WebhookDelivery) -> dict[str, Any]:
    return {
        "id": row.id,
        "delivery": row.job_id,
        "event": row.event,
        "attempt": row.attempt,
        "outcome": row.outcome,
        "status": row.response_status,
        "duration_ms": row.duration_ms,
        "error": row.error,
        "payload": row.request_body[:EXCERPT],
        "response": (row.response_body or "")[:EXCERPT],
        "replay_of": row.replay_of,
        "created_at": row.created_at,
    }


def replay_confirmation(
    page: Page, row: WebhookDelivery | None, *, url: str, section: str, base: str
) -> Response:
    """Ask before attempt ``row`` of the webhook at ``base`` (sending to ``url``) is sent again."""
    if row is None:
        raise NotFound("No such delivery.")
    return render(
        page,
        "console/confirm.html",
        section=section,
        heading=f"Replay delivery {row.job_id}?",
        message=f"The {row.event} request is sent again to {url}, signed with the current "
        "secret. The receiver sees it twice.",
        action=f"{base}/deliveries/{row.id}/replay",
        button="Replay delivery",
        back=base,
    )


def delete_confirmation(page: Page, message: str, *, section: str, base: str) -> Response:
    """Ask before the webhook at ``base`` is deleted; ``message`` says what is lost."""
    return render(
        page,
        "console/confirm.html",
        section=section,
        heading="Delete this webhook?",
        message=message,
        action=f"{base}/delete",
        button="Delete webhook",
        back=base,
    )
