"""Channel rules: create and change channels on a platform the caller can use."""

from __future__ import annotations

from sqlalchemy import func, select

from tenantry.core.resources.scoped import of_tenant
from tenantry.percolate.api.context import V5Context, forbidden
from tenantry.percolate.api.ids import parse_scope
from tenantry.percolate.channel.bodies import ChannelCreate, ChannelUpdate
from tenantry.percolate.channel.declaration import TERM
from tenantry.percolate.channel.models import Channel
from tenantry.percolate.platform.declaration import KIND as PLATFORM
from tenantry.percolate.platform.models import Platform
from tenantry.percolate.term.models import Term


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


async def create_channel(ctx: V5Context, body: ChannelCreate) -> int:
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


async def update_channel(ctx: V5Context, key: int, body: ChannelUpdate) -> None:
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
