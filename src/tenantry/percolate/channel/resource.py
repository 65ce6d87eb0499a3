"""``/api/v5/channel/`` (reference §3.7): publishing destinations in a scope, on a platform.

A channel's capabilities follow from its type (a table below, inferred: the seed lists the
values, not which type has which), so the ``capabilities``/``has_capabilities`` filters are
a ``type IN (…)`` on an indexed column rather than a search inside JSON.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Select, false, func, select

from tenantry.core.resources.scoped import of_tenant
from tenantry.percolate.api.common import owned_by_scopes, visible_in_reach
from tenantry.percolate.api.context import V5Context, forbidden
from tenantry.percolate.api.fields import (
    column,
    constant,
    nullable,
    scope,
    timestamp,
    typed_id,
    typed_ids,
)
from tenantry.percolate.api.ids import SCOPE_PATTERN, IdKind, invalid, parse_scope
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
from tenantry.percolate.api.routes import Create, Update, resource_router
from tenantry.percolate.channel.models import Channel
from tenantry.percolate.platform.models import Platform
from tenantry.percolate.platform.resource import KIND as PLATFORM
from tenantry.percolate.term.models import Term

__all__ = ["CHANNEL_CAPABILITIES", "KIND", "RESOURCE", "router"]

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


class ChannelCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str = Field(min_length=1, max_length=200, description="The display name.")
    platform_id: str = Field(pattern=r"^platform:\d+$")
    scope_id: str = Field(pattern=SCOPE_PATTERN, description="A license ID.")
    term_ids: list[str] = Field(default_factory=list, max_length=200)
    type: ChannelType
    xid: str = Field(default="", max_length=200, description="The external channel identifier.")


class ChannelUpdate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    active: bool | None = None
    name: str | None = Field(default=None, min_length=1, max_length=200)
    platform_id: str | None = Field(default=None, pattern=r"^platform:\d+$")
    scope_id: str | None = Field(default=None, pattern=SCOPE_PATTERN)
    term_ids: list[str] | None = Field(default=None, max_length=200)
    type: ChannelType | None = None
    xid: str | None = Field(default=None, max_length=200)


async def _platform(ctx: V5Context, wire: str, scope_id: int | None) -> int:
    """A platform usable for a channel in ``scope_id``: native, or custom in a scope at or
    above it."""
    key = PLATFORM.parse(wire, "platform_id")
    platform = await ctx.session.get(Platform, (ctx.tenant_id, key))
    if platform is None:
        raise forbidden("platform_id", wire, "platform")
    if not platform.system and platform.scope_id is not None:
        from tenantry.core.scopes import ancestor_ids

        above = await ancestor_ids(ctx.session, [scope_id]) if scope_id is not None else set()
        if platform.scope_id not in above:
            raise forbidden("platform_id", wire, "platform")
    return key


async def _terms(ctx: V5Context, wires: list[str]) -> list[int]:
    keys = [TERM.parse(wire, "term_ids") for wire in wires]
    keys = list(dict.fromkeys(keys))
    if keys:
        found = await ctx.session.scalar(
            select(func.count()).where(of_tenant(Term, ctx.tenant_id), Term.id.in_(keys))
        )
        if found != len(keys):
            raise forbidden("term_ids", ",".join(wires), "term")
    return keys


async def _create(ctx: V5Context, body: ChannelCreate) -> int:
    scope_id = await ctx.scope_of(parse_scope(body.scope_id, "scope_id"), "scope_id")
    await ctx.require("license_channel:create", scope_id, "scope_id", body.scope_id)
    channel = Channel(
        tenant_id=ctx.tenant_id,
        name=body.name.strip() or body.name,
        type=body.type,
        xid=body.xid,
        scope_id=scope_id,
        platform_id=await _platform(ctx, body.platform_id, scope_id),
        term_ids=await _terms(ctx, body.term_ids),
    )
    ctx.session.add(channel)
    await ctx.session.flush()
    return channel.id


async def _update(ctx: V5Context, key: int, body: ChannelUpdate) -> None:
    channel = await ctx.session.get(Channel, (ctx.tenant_id, key))
    wire = f"channel:{key}"
    if channel is None:
        raise forbidden("channel_id", wire, "channel")
    await ctx.require("license_channel:update", channel.scope_id, "channel_id", wire)
    if body.scope_id is not None:
        scope_id = await ctx.scope_of(parse_scope(body.scope_id, "scope_id"), "scope_id")
        await ctx.require("license_channel:update", scope_id, "scope_id", body.scope_id)
        channel.scope_id = scope_id
    if body.platform_id is not None:
        channel.platform_id = await _platform(ctx, body.platform_id, channel.scope_id)
    if body.term_ids is not None:
        channel.term_ids = await _terms(ctx, body.term_ids)
    if body.name is not None:
        channel.name = body.name.strip() or body.name
    if body.type is not None:
        channel.type = body.type
    if body.xid is not None:
        channel.xid = body.xid
    if body.active is not None:
        channel.active = body.active
    await ctx.session.flush()


router = resource_router(
    RESOURCE,
    create=Create(ChannelCreate, _create, "Create a channel (`license_channel:create`)."),
    update=Update(ChannelUpdate, _update, "Update a channel; `active: false` deactivates it."),
    list_description="Channels of the account's scopes.",
)
