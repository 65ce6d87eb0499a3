"""The channel resource (reference §3.7): wire fields, capability filters and visibility.

A channel's capabilities follow from its type (a table below, inferred: the seed lists the
values, not which type has which), so the ``capabilities``/``has_capabilities`` filters are
a ``type IN (…)`` on an indexed column rather than a search inside JSON.
"""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import Select, false

from tenantry.percolate.api.common import owned_by_scopes, visible_in_reach
from tenantry.percolate.api.context import V5Context
from tenantry.percolate.api.fields import (
    column,
    constant,
    nullable,
    scope,
    timestamp,
    typed_id,
    typed_ids,
)
from tenantry.percolate.api.ids import IdKind, invalid
from tenantry.percolate.api.params import bool_param, csv_param, ids_param
from tenantry.percolate.api.resource import (
    Include,
    ListFilter,
    OrderField,
    Resource,
    column_eq,
    column_in,
    date_range,
)
from tenantry.percolate.channel.models import Channel
from tenantry.percolate.platform.declaration import KIND as PLATFORM

KIND = IdKind("channel")
TERM = IdKind("term", list_pattern=r"^term:[a-zA-Z\d]+$")
CAPABILITY_VALUES = (
    "inbox",
    "ingestion",
    "monitoring",
    "posting",
    "publishing",
    "publishing_queue",
    "targeting",
)
_SOCIAL = (
    "inbox",
    "ingestion",
    "monitoring",
    "posting",
    "publishing",
    "publishing_queue",
    "targeting",
)
CHANNEL_CAPABILITIES: dict[str, tuple[str, ...]] = {
    "bitly": (),
    "custom": ("posting",),
    "eloqua": ("posting",),
    "facebook": _SOCIAL,
    "facebook_ads": ("posting", "targeting"),
    "gplus": ("posting", "publishing"),
    "instagram": ("ingestion", "monitoring", "posting", "publishing"),
    "linkedin.company_page": ("ingestion", "posting", "publishing", "targeting"),
    "linkedin.group": ("posting", "publishing"),
    "pinterest": ("posting", "publishing"),
    "public": ("monitoring",),
    "rss": ("ingestion",),
    "tumblr": ("posting", "publishing"),
    "twitter": _SOCIAL,
    "twitter_ads": ("posting", "targeting"),
    "vimeo": ("posting", "publishing"),
    "weibo": ("monitoring", "posting"),
    "youtube": ("ingestion", "posting", "publishing"),
}
CHANNEL_TYPES = tuple(CHANNEL_CAPABILITIES)
ChannelType = Literal[
    "bitly",
    "custom",
    "eloqua",
    "facebook",
    "facebook_ads",
    "gplus",
    "instagram",
    "linkedin.company_page",
    "linkedin.group",
    "pinterest",
    "public",
    "rss",
    "tumblr",
    "twitter",
    "twitter_ads",
    "vimeo",
    "weibo",
    "youtube",
]


def _types_with(capabilities: set[str]) -> list[str]:
    return [t for t, caps in CHANNEL_CAPABILITIES.items() if capabilities <= set(caps)]


async def _by_capabilities(
    stmt: Select[Any], values: dict[str, Any], _ctx: V5Context
) -> Select[Any]:
    if "capabilities" in values and "has_capabilities" in values:
        raise invalid(
            "has_capabilities", "Do not combine has_capabilities with capabilities.", True
        )
    if "capabilities" in values:
        stmt = stmt.where(Channel.type.in_(_types_with(set(values["capabilities"]))))
    if "has_capabilities" in values:
        with_any = [t for t, caps in CHANNEL_CAPABILITIES.items() if caps]
        column = Channel.type.in_(with_any)
        stmt = stmt.where(column if values["has_capabilities"] else ~column)
    return stmt


async def _by_types(stmt: Select[Any], values: dict[str, Any], _ctx: V5Context) -> Select[Any]:
    if "types" not in values:
        return stmt
    wanted: set[str] = set()
    for value in values["types"]:
        wanted |= (
            {t for t in CHANNEL_TYPES if t.startswith("linkedin.")}
            if value == "linkedin.*"
            else {value}
        )
    return stmt.where(Channel.type.in_(sorted(wanted)) if wanted else false())


RESOURCE = Resource(
    kind=KIND,
    model=Channel,
    title="Channel",
    fields=(
        typed_id("channel", Channel.id),
        column(Channel.xid),
        column(Channel.name),
        column(Channel.type, {"type": "string", "enum": list(CHANNEL_TYPES)}),
        scope(Channel.scope_id),
        typed_id("platform", Channel.platform_id),
        constant("avatar_id", None, nullable({"type": "string"})),
        typed_ids("term", Channel.term_ids),
        constant("token_id", None, nullable({"type": "string"})),
        constant("media_buyer_ids", [], {"type": "array", "items": {"type": "string"}}),
        column(
            Channel.type,
            {"type": "array", "items": {"enum": list(CAPABILITY_VALUES)}},
            name="capabilities",
            convert=lambda kind: list(CHANNEL_CAPABILITIES.get(kind, ())),
        ),
        constant("ext", None, nullable({"type": "object"})),
        column(Channel.active),
        timestamp(Channel.created_at),
        timestamp(Channel.updated_at),
    ),
    visible=visible_in_reach("license_channel:read", Channel.scope_id),
    default_limit=100,
    order_fields={"name": OrderField(Channel.name), "created_at": OrderField(Channel.created_at)},
    includes={"platform_id": Include("platform", lambda row: (row["platform_id"],))},
    filters=(
        owned_by_scopes(Channel.scope_id),
        ListFilter(
            (
                bool_param(
                    "has_capabilities",
                    "Channels with or without capabilities. Do not combine with capabilities.",
                ),
                csv_param(
                    "capabilities",
                    "A CSV of channel.capabilities to filter by, e.g. monitoring,posting.",
                    enum=CAPABILITY_VALUES,
                ),
            ),
            _by_capabilities,
        ),
        ListFilter(
            (
                csv_param(
                    "types",
                    "A CSV of channel.type to filter by.",
                    enum=(*CHANNEL_TYPES, "linkedin.*"),
                ),
            ),
            _by_types,
        ),
        column_in(csv_param("xids", "A CSV of external IDs to filter by."), Channel.xid),
        column_in(
            ids_param("platform_ids", PLATFORM, "A CSV of platform_ids to filter by."),
            Channel.platform_id,
        ),
        column_eq(bool_param("active", "Filter by active or inactive channels."), Channel.active),
        date_range("created_at", Channel.created_at),
    ),
)
