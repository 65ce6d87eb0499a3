"""The post resource (reference §3.9): its wire fields, list filters, includes and order.

One declaration gives the presenter, the OpenAPI schema and the selected columns.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import Select, false, func

from tenantry.percolate.api.common import owned_by_scopes, visible_in_reach
from tenantry.percolate.api.context import V5Context
from tenantry.percolate.api.fields import (
    column,
    column_list,
    constant,
    nullable,
    scope,
    timestamp,
    typed_id,
    typed_ids,
)
from tenantry.percolate.api.ids import IdKind
from tenantry.percolate.api.params import (
    Param,
    bool_param,
    choice_param,
    csv_param,
    ids_param,
    text_param,
)
from tenantry.percolate.api.resource import (
    Include,
    ListFilter,
    OrderField,
    Resource,
    column_in,
    date_range,
)
from tenantry.percolate.link import service as links
from tenantry.percolate.metadata.filters import metadata_filters
from tenantry.percolate.post.approval import POST_FILTERS as APPROVAL_FILTERS
from tenantry.percolate.post.approval import workflow_ids
from tenantry.percolate.post.lifecycle import PostStatus, expand_status_filter
from tenantry.percolate.post.models import Post
from tenantry.percolate.post.refs import (
    ASSET_FILTER_PATTERN,
    asset_ids,
    asset_ref,
    origin_ref,
    refers_to_any,
)
from tenantry.percolate.schema import declaration as schemas

KIND = IdKind("post")
CHANNEL = IdKind("channel")
PLATFORM = IdKind("platform")
USER = IdKind("user")
TERM = IdKind("term", list_pattern=r"^term:[a-zA-Z\d]+$")


async def _statuses(stmt: Select[Any], values: dict[str, Any], _ctx: V5Context) -> Select[Any]:
    if "statuses" in values:
        chosen = expand_status_filter(values["statuses"])
        stmt = stmt.where(Post.status.in_([str(status) for status in chosen]))
    return stmt


async def _text(stmt: Select[Any], values: dict[str, Any], _ctx: V5Context) -> Select[Any]:
    """``keywords``: every word in the name, description or ``ext``; ``name``: in the name."""
    for word in values.get("keywords", "").lower().split():
        stmt = stmt.where(Post.search_text.contains(word, autoescape=True))
    if values.get("name"):
        stmt = stmt.where(func.lower(Post.name).contains(values["name"].lower(), autoescape=True))
    return stmt


async def _scheduled(stmt: Select[Any], values: dict[str, Any], _ctx: V5Context) -> Select[Any]:
    """``live_at=true``: posts with a ``live_at``; ``false`` or ``null``: posts without."""
    if "live_at" in values:
        wanted = values["live_at"] == "true"
        stmt = stmt.where(Post.live_at.is_not(None) if wanted else Post.live_at.is_(None))
    return stmt


async def _references(stmt: Select[Any], values: dict[str, Any], ctx: V5Context) -> Select[Any]:
    """``term_ids``, ``asset_ids``, ``origin_ids``: posts referring to any of them (through
    ``percolate_post_refs``). ``topic_ids`` (deprecated) matches nothing: Tenantry keeps no
    topics, so every post's ``topic_ids`` is empty."""
    if "term_ids" in values:
        terms = [f"term:{key}" for key in values["term_ids"]]
        stmt = stmt.where(refers_to_any(ctx.tenant_id, "term", terms))
    if "asset_ids" in values:
        assets = [asset_ref(wire) for wire in values["asset_ids"]]
        stmt = stmt.where(refers_to_any(ctx.tenant_id, "asset", assets))
    if "origin_ids" in values:
        origins = [origin_ref(wire) for wire in values["origin_ids"]]
        stmt = stmt.where(refers_to_any(ctx.tenant_id, "origin", origins))
    if "topic_ids" in values:
        stmt = stmt.where(false())
    return stmt


async def _access(stmt: Select[Any], values: dict[str, Any], _ctx: V5Context) -> Select[Any]:
    """``access_scopes`` (and its one-valued twin ``access_scope``): Tenantry shares no post
    into another scope, so every post is ``owned`` and none is ``shared``."""
    chosen = set(values.get("access_scopes", ()))
    if "access_scope" in values:
        chosen &= {values["access_scope"]}
    return stmt if "owned" in chosen else stmt.where(false())


async def _assignment(stmt: Select[Any], values: dict[str, Any], _ctx: V5Context) -> Select[Any]:
    """``assignment_statuses``: ``assigned`` (an assignee), ``unassigned`` (none), ``both``."""
    chosen = set(values.get("assignment_statuses", ()))
    if chosen == {"assigned"}:
        stmt = stmt.where(Post.assignee_id.is_not(None))
    elif chosen == {"unassigned"}:
        stmt = stmt.where(Post.assignee_id.is_(None))
    return stmt


async def _interaction(stmt: Select[Any], values: dict[str, Any], _ctx: V5Context) -> Select[Any]:
    """``is_interaction``: no post is an interaction here (``interaction_id`` is always null)."""
    return stmt.where(false()) if values.get("is_interaction") is True else stmt


ACCESS_SCOPES = replace(
    csv_param(
        "access_scopes",
        "Posts owned by the scope and/or shared into it from other scopes (default owned);"
        " this server shares no posts, so `shared` alone matches none.",
        enum=("owned", "shared"),
    ),
    default=["owned"],
    echo_default=True,
)
ACCESS_SCOPES = replace(ACCESS_SCOPES, schema={**ACCESS_SCOPES.schema, "default": "owned"})


def _ids_of(name: str, kind: IdKind, description: str) -> Param:
    return ids_param(name, kind, description)


STRINGS: dict[str, Any] = {"type": "array", "items": {"type": "string"}}

RESOURCE = Resource(
    kind=KIND,
    model=Post,
    title="Post",
    fields=(
        typed_id("post", Post.id),
        scope(Post.scope_id),
        typed_id("user", Post.user_id),
        typed_id("user", Post.assignee_id),
        column(Post.name, {"type": "string"}),
        column(Post.description, {"type": "string"}),
        column(Post.status, {"type": "string", "enum": [str(status) for status in PostStatus]}),
        timestamp(Post.live_at),
        column(Post.live_at_timezone, nullable({"type": "string"})),
        column(Post.url, nullable({"type": "string"})),
        column(Post.xid, {"type": "string"}),
        typed_id("platform", Post.platform_id),
        typed_id("channel", Post.channel_id),
        schemas.version_id(Post.schema_id, Post.schema_version),
        column(Post.ext, {"type": "object"}, empty_as="object"),
        column(Post.ext, STRINGS, name="asset_ids", convert=lambda ext: asset_ids(ext or {})),
        typed_ids("term", Post.term_ids, schema=STRINGS),
        constant("topic_ids", [], STRINGS),
        constant("link_ids", [], STRINGS),
        column_list(Post.origin_ids, STRINGS),
        constant("post_attachment_ids", [], STRINGS),
        # set by the enricher (workflow_ids)
        constant("approval_workflow_id", None, nullable({"type": "string"})),
        constant("production_workflow_id", None, nullable({"type": "string"})),
        constant("interaction_id", None, nullable({"type": "string"})),
        constant("targeting_id", None, nullable({"type": "string"})),
        column(Post.ingested, {"type": "boolean"}, convert=bool),
        column(Post.publish_error, nullable({"type": "string"})),
        timestamp(Post.created_at),
        timestamp(Post.updated_at),
    ),
    also_select=(Post.approval_group_id,),
    visible=visible_in_reach("post:read", Post.scope_id),
    order_fields={
        "live_at": OrderField(Post.live_at),
        "created_at": OrderField(Post.created_at),
    },
    default_order=("created_at", "desc"),
    enrich=links.with_link_ids(workflow_ids),
    includes={
        "user_id": Include("user", lambda row: [row["user_id"]]),
        "assignee_id": Include("user", lambda row: [row["assignee_id"]]),
        "platform_id": Include("platform", lambda row: [row["platform_id"]]),
        "channel_id": Include("channel", lambda row: [row["channel_id"]]),
        "schema_id": Include("schema", lambda row: [row["schema_id"]]),
        # Always null here (no interactions, targeting or attachments): accepted, adds nothing.
        "interaction_id": Include(None, lambda _row: ()),
        "targeting_id": Include(None, lambda _row: ()),
        "post_attachment_id": Include(None, lambda _row: ()),
    },
    filters=(
        owned_by_scopes(Post.scope_id),
        ListFilter(
            (
                csv_param(
                    "statuses",
                    "A CSV of statuses; `queued.*` and `approvals.*` match a family.",
                    pattern=r"^[a-z]+(\.[a-z*]+)?$",
                ),
            ),
            _statuses,
        ),
        column_in(
            _ids_of("channel_ids", CHANNEL, "A CSV of channel IDs to filter by."), Post.channel_id
        ),
        column_in(
            _ids_of("platform_ids", PLATFORM, "A CSV of platform IDs to filter by."),
            Post.platform_id,
        ),
        column_in(_ids_of("user_ids", USER, "A CSV of creator IDs to filter by."), Post.user_id),
        column_in(
            _ids_of("assignee_ids", USER, "A CSV of assignee IDs to filter by."), Post.assignee_id
        ),
        date_range("live_at", Post.live_at),
        date_range("updated_at", Post.updated_at),
        ListFilter(
            (
                choice_param(
                    "live_at",
                    "true: posts with a live_at; false or null: posts without one.",
                    ("true", "false", "null"),
                ),
            ),
            _scheduled,
        ),
        ListFilter(
            (
                text_param("keywords", "Search the name, description and content."),
                text_param("name", "Search post names."),
            ),
            _text,
        ),
        APPROVAL_FILTERS,
        ListFilter(
            (
                ids_param("term_ids", TERM, "Posts carrying any of these terms."),
                csv_param(
                    "asset_ids",
                    "Posts whose content names any of these assets (a legacy image id"
                    " `license:<l>:image:<n>` names `asset:<n>`).",
                    pattern=ASSET_FILTER_PATTERN,
                ),
                csv_param(
                    "origin_ids",
                    "Posts made from any of these briefs or campaigns.",
                    pattern=r"^(brief:\d+|campaign:\d+)$",
                ),
                csv_param(
                    "topic_ids",
                    "Deprecated (use terms): this server keeps no topics, so no post matches.",
                    pattern=r"^topic:[a-zA-Z0-9][a-zA-Z0-9_]*$",
                ),
            ),
            _references,
        ),
        ListFilter(
            (
                ACCESS_SCOPES,
                choice_param(
                    "access_scope",
                    "The older, one-valued access_scopes (owned or shared).",
                    ("owned", "shared"),
                ),
            ),
            _access,
        ),
        ListFilter(
            (
                csv_param(
                    "assignment_statuses",
                    "Posts with an assignee (assigned), without (unassigned), or both.",
                    enum=("assigned", "unassigned", "both"),
                ),
            ),
            _assignment,
        ),
        ListFilter(
            (
                bool_param(
                    "is_interaction",
                    "true: posts that are interactions with external content (this server"
                    " has none); false: every post. Provisional in Percolate.",
                ),
            ),
            _interaction,
        ),
        metadata_filters("post", Post.id, "posts"),
    ),
)
