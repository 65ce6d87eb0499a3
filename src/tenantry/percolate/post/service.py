"""Post rules: create (or copy), update, delete and the stored status change.

``ext`` is validated against the post's schema version (a ``post`` schema matching the
channel); ``status`` changes are planned by :mod:`tenantry.percolate.post.lifecycle` and
stored with a conditional UPDATE on the status the plan started from, so of two concurrent
changes from the same status one wins and the other gets 409 with the post unchanged.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select, update

from tenantry.core.errors import Conflict, FieldError
from tenantry.core.identity.models import User
from tenantry.core.resources.scoped import of_tenant
from tenantry.percolate.api.context import V5Context, forbidden
from tenantry.percolate.api.ids import invalid, parse_scope
from tenantry.percolate.channel.models import Channel
from tenantry.percolate.link import service as links
from tenantry.percolate.metadata.service import write_metadata
from tenantry.percolate.platform.models import Platform
from tenantry.percolate.post.approval import Decision, follow_transition
from tenantry.percolate.post.bodies import PostCreate, PostUpdate
from tenantry.percolate.post.declaration import CHANNEL, KIND, PLATFORM, RESOURCE, TERM, USER
from tenantry.percolate.post.lifecycle import (
    PostStatus,
    TransitionPlan,
    plan_transition,
    url_settable,
)
from tenantry.percolate.post.models import Post
from tenantry.percolate.post.publishing import after_transition
from tenantry.percolate.post.refs import strings_in, sync_post_refs
from tenantry.percolate.schema import declaration as schemas
from tenantry.percolate.schema import service as schema_rules
from tenantry.percolate.schema.models import Schema, SchemaVersion
from tenantry.percolate.term.models import Term
from tenantry.percolate.webhook.models import PostWebhook
from tenantry.percolate.webhook.post_webhook.service import announce_status_change

MAX_SEARCH_TEXT = 100_000
_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})$")


def _search_text(name: str, description: str, ext: dict[str, Any]) -> str:
    return " ".join([name, description, *strings_in(ext)]).lower()[:MAX_SEARCH_TEXT]


def _live_at(raw: str | None) -> datetime | None:
    """An ISO 8601 date-time with an offset; a timezone-less or malformed one is a 400."""
    if raw is None:
        return None
    text = raw.strip()
    if not _MOMENT.match(text):
        raise invalid("live_at", "live_at is an ISO 8601 date-time with a UTC offset.", raw[:40])
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise invalid("live_at", "live_at is not a valid date-time.", raw[:40]) from None
    return moment.astimezone(UTC)


def _timezone(name: str | None) -> str | None:
    if name is None:
        return None
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise invalid("live_at_timezone", "Expected an IANA timezone name.", name) from None
    return name


async def _channel(ctx: V5Context, wire: str) -> tuple[Channel, Platform]:
    channel = await ctx.session.get(Channel, (ctx.tenant_id, CHANNEL.parse(wire, "channel_id")))
    if channel is None or not await ctx.can("license_channel:read", channel.scope_id):
        raise forbidden("channel_id", wire, "channel")
    platform = await ctx.session.get(Platform, (ctx.tenant_id, channel.platform_id))
    assert platform is not None
    return channel, platform


async def _post_schema(ctx: V5Context, wire: str, channel: Channel) -> tuple[Schema, SchemaVersion]:
    """A post schema matching the channel (its ``ext.channel_type`` and ``ext.platform_id``)."""
    ref = schemas.parse_schema_ref(wire, "schema_id")
    schema, version = await schema_rules.load_version(ctx, ref, "schema_id", wire)
    if schema.type != "post":
        raise invalid("schema_id", "The schema is not a post schema.", wire)
    if schema.channel_type is not None and schema.channel_type != channel.type:
        raise invalid("schema_id", "The schema is for another channel type.", wire)
    if schema.platform_key is not None and schema.platform_key != channel.platform_id:
        raise invalid("schema_id", "The schema is for another platform.", wire)
    return schema, version


async def _checked_ext(ctx: V5Context, version: SchemaVersion, ext: dict[str, Any]) -> None:
    """``ext`` valid for ``version``; the terms it names exist in this account."""
    await schema_rules.check_values(ctx, version, ext)


async def _term_keys(ctx: V5Context, wires: list[str]) -> list[int]:
    keys = [TERM.parse(wire, "term_ids") for wire in wires]
    found = set(
        (
            await ctx.session.scalars(
                select(Term.id).where(of_tenant(Term, ctx.tenant_id), Term.id.in_(keys))
            )
        ).all()
    )
    for wire, key in zip(wires, keys, strict=True):
        if key not in found:
            raise forbidden("term_ids", wire, "term")
    return list(dict.fromkeys(keys))


async def _assignee(ctx: V5Context, wire: str | None) -> int | None:
    if wire is None:
        return None
    key = USER.parse(wire, "assignee_id")
    if await ctx.session.get(User, (ctx.tenant_id, key)) is None:
        raise forbidden("assignee_id", wire, "user")
    return key


def _origins(values: list[str]) -> list[str]:
    for value in values:
        if not re.match(r"^(brief|campaign):\d{1,18}$", value):
            raise invalid("origin_ids", "Expected brief:<n> or campaign:<n> ids.", value)
    return list(dict.fromkeys(values))


def _required(key: str) -> Exception:
    return invalid(key, f"{key} is required (unless copy_from_id is given).")


async def _copy_source(ctx: V5Context, wire: str) -> Post:
    source = await ctx.session.get(Post, (ctx.tenant_id, KIND.parse(wire, "copy_from_id")))
    if source is None or not await ctx.can("post:read", source.scope_id):
        raise forbidden("copy_from_id", wire, "post")
    return source


async def _copied_terms(ctx: V5Context, source: Post, scope_id: int | None) -> list[int]:
    """The source's terms, in another scope only where a term of the same name exists."""
    keys = list(source.term_ids or [])
    if scope_id == source.scope_id or not keys:
        return keys
    names = (
        await ctx.session.scalars(
            select(Term.name_key).where(of_tenant(Term, ctx.tenant_id), Term.id.in_(keys))
        )
    ).all()
    found = (
        await ctx.session.execute(
            select(Term.name_key, Term.id)
            .where(
                of_tenant(Term, ctx.tenant_id),
                Term.scope_key == (scope_id or 0),
                Term.name_key.in_(list(names)),
            )
            .order_by(Term.id)
        )
    ).all()
    by_name: dict[str, int] = {}
    for name, key in found:
        by_name.setdefault(name, key)
    return [by_name[name] for name in names if name in by_name]


async def create_post(ctx: V5Context, body: PostCreate) -> int:
    """Create a post, or copy one (``copy_from_id``, seed rules) in one transaction."""
    source = await _copy_source(ctx, body.copy_from_id) if body.copy_from_id else None
    if body.scope_id is not None:
        scope_id = await ctx.scope_of(parse_scope(body.scope_id, "scope_id"), "scope_id")
    elif source is not None:
        scope_id = source.scope_id
    else:
        raise _required("scope_id")
    await ctx.require("post:create", scope_id, "scope_id", body.scope_id)
    if body.channel_id is not None:
        channel_wire = body.channel_id
    elif source is not None:
        channel_wire = f"channel:{source.channel_id}"
    else:
        raise _required("channel_id")
    channel, platform = await _channel(ctx, channel_wire)
    if source is not None and channel.id != source.channel_id:
        original = await ctx.session.get(Channel, (ctx.tenant_id, source.channel_id))
        if original is None or original.type != channel.type:
            raise invalid(
                "channel_id", "A copy goes to a channel of the same type.", body.channel_id
            )
    if body.platform_id is not None and PLATFORM.parse(body.platform_id, "platform_id") != (
        channel.platform_id
    ):
        raise invalid("platform_id", "The channel is on another platform.", body.platform_id)
    if body.schema_id is not None:
        schema_wire = body.schema_id
    elif source is not None:
        schema_wire = schemas.encode_version(source.schema_id, source.schema_version)
    else:
        raise _required("schema_id")
    schema, version = await _post_schema(ctx, schema_wire, channel)
    ext = body.ext if body.ext is not None else dict(source.ext) if source is not None else {}
    await _checked_ext(ctx, version, ext)
    same_scope = source is not None and source.scope_id == scope_id
    if body.term_ids is not None:
        term_ids = await _term_keys(ctx, body.term_ids)
    else:
        term_ids = await _copied_terms(ctx, source, scope_id) if source is not None else []
    if body.origin_ids is not None:
        origin_ids = _origins(body.origin_ids)
    else:
        origin_ids = list(source.origin_ids or []) if source is not None and same_scope else []
    if "assignee_id" in body.model_fields_set or source is None:
        assignee_id = await _assignee(ctx, body.assignee_id)
    else:
        assignee_id = source.assignee_id
    now = datetime.now(UTC)
    plan = plan_transition(
        None,
        body.status,
        can_publish=await ctx.can("post:publish", scope_id),
        has_approval_group=body.approval_group_id is not None,
        live_at=_live_at(body.live_at),
        now=now,
        via_integration=platform.type == "custom",
        has_url=False,
    )
    name = body.name if body.name is not None else source.name if source is not None else ""
    description = (
        body.description
        if body.description is not None
        else source.description
        if source is not None
        else ""
    )
    post = Post(
        tenant_id=ctx.tenant_id,
        scope_id=scope_id,
        user_id=ctx.user_id,
        assignee_id=assignee_id,
        name=name,
        description=description,
        status=str(plan.status),
        live_at=plan.live_at,
        live_at_timezone=_timezone(body.live_at_timezone),
        platform_id=channel.platform_id,
        channel_id=channel.id,
        schema_id=schema.id,
        schema_version=version.version,
        ext=ext,
        term_ids=term_ids,
        origin_ids=origin_ids,
        approval_group_id=body.approval_group_id,
        search_text=_search_text(name, description, ext),
    )
    ctx.session.add(post)
    await ctx.session.flush()
    await links.shorten_new_post(ctx, post, version)  # the links plugin's short URLs
    post.search_text = _search_text(name, description, post.ext)  # with the server's URLs
    await sync_post_refs(ctx.session, ctx.tenant_id, post.id)  # term/asset/origin filters
    for index, record in enumerate(body.metadata or []):
        await write_metadata(ctx, "post", post.id, scope_id, record, f"$.metadata[{index}].ext")
    await follow_transition(ctx, post.id, scope_id, plan, group=body.approval_group_id)
    await after_transition(ctx.session, ctx.tenant_id, post.id, plan, moved=False)
    return post.id


async def update_post(ctx: V5Context, key: int, body: PostUpdate) -> None:
    wire = f"post:{key}"
    post = await ctx.session.get(Post, (ctx.tenant_id, key))
    if post is None or not await ctx.can("post:read", post.scope_id):
        raise forbidden("post_id", wire, "post")
    await ctx.require("post:update", post.scope_id, "post_id", wire)
    channel, platform = await _channel(ctx, body.channel_id or f"channel:{post.channel_id}")
    if channel.id != post.channel_id:
        before = await ctx.session.get(Channel, (ctx.tenant_id, post.channel_id))
        if before is None or before.type != channel.type:
            raise invalid("channel_id", "A post moves only to a channel of the same type.")
    changes: dict[str, Any] = {}
    schema_id, version_no = post.schema_id, post.schema_version
    if body.schema_id is not None:
        schema, version = await _post_schema(ctx, body.schema_id, channel)
        schema_id, version_no = schema.id, version.version
    elif body.channel_id is not None:
        _schema, version = await _post_schema(
            ctx, schemas.encode_version(schema_id, version_no), channel
        )
    else:
        found = await ctx.session.get(SchemaVersion, (ctx.tenant_id, schema_id, version_no))
        assert found is not None
        version = found
    ext = body.ext if body.ext is not None else dict(post.ext or {})
    if body.ext is not None or body.schema_id is not None:
        await _checked_ext(ctx, version, ext)
    ext = await links.shorten(ctx, key, post.scope_id, version, ext)  # links plugin
    live_at = _live_at(body.live_at) if "live_at" in body.model_fields_set else post.live_at
    url = body.url if body.url is not None else post.url
    now = datetime.now(UTC)
    current = PostStatus(post.status)
    previous_live_at = post.live_at
    plan: TransitionPlan = plan_transition(
        current,
        body.status,
        can_publish=await ctx.can("post:publish", post.scope_id),
        has_approval_group=(body.approval_group_id or post.approval_group_id) is not None,
        live_at=live_at,
        now=now,
        via_integration=platform.type == "custom",
        has_url=bool(url),
    )
    # Clients that PUT back the whole post they read (the Java SDK) resend url and xid
    # unchanged: only a different value is a change.
    new_url = body.url is not None and (body.url or None) != (post.url or None)
    new_xid = body.xid is not None and (body.xid or None) != (post.xid or None)
    if (new_url or new_xid) and not url_settable(plan.status):
        key_name = "url" if new_url else "xid"
        raise invalid(
            key_name, f"{key_name} can only be set when the post is live or queued.published."
        )
    name = body.name if body.name is not None else post.name
    description = body.description if body.description is not None else post.description
    changes.update(
        name=name,
        description=description,
        status=str(plan.status),
        live_at=plan.live_at,
        url=url,
        xid=body.xid if body.xid is not None else post.xid,
        channel_id=channel.id,
        platform_id=channel.platform_id,
        schema_id=schema_id,
        schema_version=version_no,
        ext=ext,
        search_text=_search_text(name, description, ext),
        updated_at=now,
    )
    if body.live_at_timezone is not None:
        changes["live_at_timezone"] = _timezone(body.live_at_timezone)
    if "assignee_id" in body.model_fields_set:
        changes["assignee_id"] = await _assignee(ctx, body.assignee_id)
    if body.term_ids is not None:
        changes["term_ids"] = await _term_keys(ctx, body.term_ids)
    if body.origin_ids is not None:
        changes["origin_ids"] = _origins(body.origin_ids)
    if body.approval_group_id is not None:
        changes["approval_group_id"] = body.approval_group_id
    moved = "live_at" in body.model_fields_set and plan.live_at != previous_live_at
    await change_status(ctx, post, current, plan, changes, moved=moved)
    await sync_post_refs(ctx.session, ctx.tenant_id, key)  # term/asset/origin filters


async def change_status(
    ctx: V5Context,
    post: Post,
    current: PostStatus,
    plan: TransitionPlan,
    changes: dict[str, Any],
    *,
    moved: bool = False,
    decision: Decision | None = None,
) -> None:
    """Store ``plan`` (and ``changes``) and carry out its effects in the caller's transaction:
    the approval workflow (``decision``: an approver's verdict), the publisher, the post
    webhooks. The UPDATE is conditional on the status the plan started from, so of two
    concurrent changes one wins and the other gets 409 with nothing changed."""
    key, scope_id = post.id, post.scope_id
    group = changes.get("approval_group_id", post.approval_group_id)
    now = datetime.now(UTC)
    values = {"status": str(plan.status), "live_at": plan.live_at, "updated_at": now, **changes}
    result = await ctx.session.execute(
        update(Post)
        .where(of_tenant(Post, ctx.tenant_id), Post.id == key, Post.status == str(current))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        raise Conflict(
            "The post's status changed meanwhile; read it again and retry.",
            [FieldError("status", "changed concurrently", str(current), code="conflict")],
        )
    ctx.session.expire(post)
    await follow_transition(ctx, key, scope_id, plan, group=group, decision=decision)
    await after_transition(ctx.session, ctx.tenant_id, key, plan, moved=moved)
    if plan.changed:
        rows = await RESOURCE.rows_by_id(ctx, [key], check=False)
        shown = (await RESOURCE.present_rows(ctx, rows))[0]
        await announce_status_change(ctx, key, str(current), shown)


async def delete_post(ctx: V5Context, key: int) -> None:
    wire = f"post:{key}"
    post = await ctx.session.get(Post, (ctx.tenant_id, key))
    if post is None or not await ctx.can("post:read", post.scope_id):
        raise forbidden("post_id", wire, "post")
    await ctx.require("post:delete", post.scope_id, "post_id", wire)
    await ctx.session.execute(
        delete(PostWebhook)
        .where(of_tenant(PostWebhook, ctx.tenant_id), PostWebhook.post_id == key)
        .execution_options(synchronize_session=False)
    )
    await ctx.session.execute(
        delete(Post)
        .where(of_tenant(Post, ctx.tenant_id), Post.id == key)
        .execution_options(synchronize_session=False)
    )
    ctx.session.expunge(post)
