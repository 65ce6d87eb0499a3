"""The link resource: link ids, wire fields and clicks of the self-hosted short links."""

from __future__ import annotations

from tenantry.percolate.api.common import owned_by_scopes, visible_in_reach
from tenantry.percolate.api.fields import column, computed, scope, timestamp, typed_id, typed_ids
from tenantry.percolate.api.ids import IdKind
from tenantry.percolate.api.params import ids_param
from tenantry.percolate.api.resource import Include, OrderField, Resource, column_in
from tenantry.percolate.link.models import ShortLink

KIND = IdKind("link")
POST = IdKind("post")
REDIRECT_PATH = "/l/"


def short_url(base_url: str, code: str) -> str:
    return f"{base_url.rstrip('/')}{REDIRECT_PATH}{code}"


RESOURCE = Resource(
    kind=KIND,
    model=ShortLink,
    title="Link",
    fields=(
        typed_id("link", ShortLink.id),
        typed_id("post", ShortLink.post_id, name="object_id"),
        scope(ShortLink.scope_id),
        column(ShortLink.url, {"type": "string", "format": "uri"}),
        computed(
            "short_url",
            lambda row, ctx: short_url(ctx.platform.settings.base_url, row["code"]),
            {"type": "string", "format": "uri"},
            needs=(ShortLink.code,),
        ),
        column(ShortLink.tracking_url, {"type": "string"}),
        typed_ids("tracking_tag", ShortLink.tracking_tag_ids),
        column(ShortLink.clicks, {"type": "integer", "minimum": 0}),
        timestamp(ShortLink.created_at),
    ),
    visible=visible_in_reach("post:read", ShortLink.scope_id),
    order_fields={"created_at": OrderField(ShortLink.created_at)},
    includes={"object_id": Include("post", lambda row: [row["post_id"]])},
    filters=(
        owned_by_scopes(ShortLink.scope_id),
        column_in(
            ids_param("object_ids", POST, "A CSV of post IDs whose links to list."),
            ShortLink.post_id,
        ),
    ),
)
