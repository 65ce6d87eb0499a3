"""The postwebhook resource (reference §3.10): composite ids, wire fields and list parameters."""

from __future__ import annotations

import re
from typing import Any

from tenantry.percolate.api.context import V5Context
from tenantry.percolate.api.fields import (
    columns_of,
    compile_presenter,
    formatted,
    row_of,
    scope,
    timestamp,
    typed_id,
)
from tenantry.percolate.api.ids import IdKind, invalid
from tenantry.percolate.api.params import MAX_LIMIT, Param, csv_param, int_param
from tenantry.percolate.ids import MAX_KEY_DIGITS
from tenantry.percolate.webhook.models import PostWebhook

POST = IdKind("post")
WEBHOOK = IdKind("webhook")
ID_PATTERN = r"^postwebhook:\d+_\d+$"
_ID = re.compile(rf"^postwebhook:(\d{{1,{MAX_KEY_DIGITS}}})_(\d{{1,{MAX_KEY_DIGITS}}})$")


def parse_id(value: object, key: str) -> tuple[int, int]:
    """``postwebhook:<post>_<webhook>`` as (post key, webhook key); 400 naming ``key``."""
    match = _ID.match(value) if isinstance(value, str) else None
    if match is None:
        raise invalid(key, "Expected an id such as postwebhook:12_7.", value)
    return int(match.group(1)), int(match.group(2))


FIELDS = (
    formatted(
        "id",
        "postwebhook:{}_{}",
        PostWebhook.post_id,
        PostWebhook.webhook_id,
        schema={"type": "string", "pattern": ID_PATTERN},
    ),
    typed_id("post", PostWebhook.post_id),
    typed_id("webhook", PostWebhook.webhook_id),
    scope(PostWebhook.scope_id),
    timestamp(PostWebhook.created_at),
)
"""A post's association with a webhook on the wire."""
_COLUMNS = columns_of(FIELDS)
_present_row = compile_presenter(FIELDS, "present_post_webhook")


def wire_of(association: PostWebhook, ctx: V5Context) -> dict[str, Any]:
    return _present_row(row_of(association, _COLUMNS), ctx)


LIST_PARAMS: tuple[Param, ...] = (
    int_param("limit", "Page size.", default=50, minimum=1, maximum=MAX_LIMIT, clamp=True),
    int_param("offset", "Page offset.", default=0, minimum=0, maximum=2**31 - 1),
    csv_param("ids", "A CSV of unique IDs to filter by.", pattern=ID_PATTERN),
    csv_param("post_id", "The post whose webhooks to list.", pattern=r"^post:\d+$"),
)
