"""``/api/v5/comment/`` (reference §3.11): comments on posts and channels, replies, mentions
and coordinate pins. Reading follows the commented object's read capability; editing and
deleting are for the author or a holder of ``comment:manage`` in the object's scope."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Select, and_, delete, false, or_, select

from tenantry.core.identity.models import User
from tenantry.core.resources.scoped import of_tenant
from tenantry.percolate.api.context import V5Context, forbidden
from tenantry.percolate.api.fields import (
    column,
    nullable,
    scope,
    timestamp,
    typed_by,
    typed_id,
    typed_ids,
)
from tenantry.percolate.api.ids import IdKind, invalid
from tenantry.percolate.api.params import Param, choice_param, csv_param
from tenantry.percolate.api.resource import Include, ListFilter, OrderField, Resource
from tenantry.percolate.api.routes import Create, Delete, Update, resource_router
from tenantry.percolate.comment.models import Comment
from tenantry.percolate.metadata.resource import OBJECTS

__all__ = ["KIND", "RESOURCE", "router"]

KIND = IdKind("comment", list_pattern=r"^comment:[a-zA-Z\d]+$")
USER = IdKind("user")
OBJECT_IDS_PATTERN = (
    r"^(folder|media|asset|channel|post|brief|campaign|post_set|market_request|"
    r"market_response|monitoring_flag|task|link|comment|intake_request):\d+$"
)


class Coordinate(BaseModel):
    """Where a pin sits on an image."""

    model_config = ConfigDict(extra="forbid")

    x: float = Field(ge=0, le=1_000_000)
    y: float = Field(ge=0, le=1_000_000)
    unit: Literal["px", "%"] = "px"


async def _visible(stmt: Select[Any], ctx: V5Context) -> Select[Any]:
    clauses = []
    for kind, spec in OBJECTS.items():
        reach = await ctx.reach(spec.read)
        clauses.append(and_(Comment.object_kind == kind, reach.condition(Comment.scope_id)))
    return stmt.where(or_(*clauses))


def _day(raw: str, name: str) -> datetime:
    try:
        return datetime.combine(datetime.fromisoformat(raw.strip()).date(), time(), UTC)
    except ValueError:
        raise invalid(name, f"{name} is a date such as 2016-01-31.", raw) from None


START_AT = Param(
    "start_at",
    {"type": "string", "format": "date"},
    lambda raw: _day(raw, "start_at"),
    "Comments created on or after this date.",
    echo=lambda moment: moment.date().isoformat(),
)
END_AT = Param(
    "end_at",
    {"type": "string", "format": "date"},
    lambda raw: _day(raw, "end_at"),
    "Comments created on or before this date.",
    echo=lambda moment: moment.date().isoformat(),
)


async def _filters(stmt: Select[Any], values: dict[str, Any], _ctx: V5Context) -> Select[Any]:

    if "object_ids" in values:
        refs = [value.partition(":") for value in values["object_ids"]]
        held = [(kind, int(key)) for kind, _, key in refs if kind in OBJECTS]
        stmt = stmt.where(
            or_(*(and_(Comment.object_kind == k, Comment.object_key == n) for k, n in held))
            if held
            else false()
        )
    if "context_type" in values:
        stmt = stmt.where(Comment.context_type == values["context_type"])
    if "start_at" in values:
        stmt = stmt.where(Comment.created_at >= values["start_at"])
    if "end_at" in values:
        stmt = stmt.where(Comment.created_at < values["end_at"] + timedelta(days=1))
    return stmt


def _resource() -> Resource:
    """The declaration (a function only to keep the long literal out of module scope)."""
    return Resource(
        kind=KIND,
        model=Comment,
        title="Comment",
        fields=(
            typed_id("comment", Comment.id),
            typed_by(
                "object_id",
                Comment.object_kind,
                Comment.object_key,
                {"type": "string", "pattern": OBJECT_IDS_PATTERN},
            ),
            column(Comment.body, {"type": "string"}),
            typed_ids("user", Comment.mentions),
            typed_id("user", Comment.user_id),
            scope(Comment.scope_id),
            typed_id("comment", Comment.parent_comment_id),
            column(Comment.context_type, nullable({"type": "string", "enum": ["coordinate"]})),
            column(Comment.context_ext, nullable({"type": "object"})),
            timestamp(Comment.created_at),
            timestamp(Comment.updated_at),
        ),
        visible=_visible,
        required_any=("ids", "object_ids"),
        order_fields={
            "created_at": OrderField(Comment.created_at),
            "updated_at": OrderField(Comment.updated_at),
        },
        default_order=("created_at", "asc"),
        includes={
            "user_id": Include("user", lambda row: [row["user_id"]]),
            "parent_comment_id": Include("comment", lambda row: [row["parent_comment_id"]]),
        },
        filters=(
            ListFilter(
                (
                    csv_param(
                        "object_ids",
                        "A CSV of object IDs to filter by.",
                        pattern=OBJECT_IDS_PATTERN,
                    ),
                    choice_param("context_type", "Filter by context type.", ("coordinate",)),
                    START_AT,
                    END_AT,
                ),
                _filters,
            ),
        ),
    )


RESOURCE = _resource()


class CommentCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    object_id: str = Field(pattern=OBJECT_IDS_PATTERN)
    body: str = Field(min_length=1, max_length=20_000)
    scope_id: str | None = Field(default=None, max_length=60)
    parent_comment_id: str | None = Field(default=None, pattern=r"^comment:\d{1,18}$")
    mentions: list[str] = Field(default_factory=list, max_length=100)
    context_type: Literal["coordinate"] | None = None
    context_ext: Coordinate | None = None


class CommentUpdate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    body: str | None = Field(default=None, min_length=1, max_length=20_000)
    mentions: list[str] | None = Field(default=None, max_length=100)
    context_ext: Coordinate | None = None


async def _mentions(ctx: V5Context, wires: list[str]) -> list[int]:
    keys = [USER.parse(wire, "mentions") for wire in wires]
    found = set(
        (
            await ctx.session.scalars(
                select(User.id).where(of_tenant(User, ctx.tenant_id), User.id.in_(keys))
            )
        ).all()
    )
    for wire, key in zip(wires, keys, strict=True):
        if key not in found:
            raise forbidden("mentions", wire, "user")
    return list(dict.fromkeys(keys))


async def _create(ctx: V5Context, body: CommentCreate) -> int:

    kind, _, number = body.object_id.partition(":")
    spec = OBJECTS.get(kind)
    if spec is None:
        raise invalid("object_id", f"Comments on {kind} objects are not supported here.", kind)
    target = await ctx.session.get(spec.model, (ctx.tenant_id, int(number)))
    if target is None or not await ctx.can(spec.read, target.scope_id):
        raise forbidden("object_id", body.object_id, kind)
    parent_key: int | None = None
    if body.parent_comment_id is not None:
        parent_key = KIND.parse(body.parent_comment_id, "parent_comment_id")
        parent = await ctx.session.get(Comment, (ctx.tenant_id, parent_key))
        if parent is None or (parent.object_kind, parent.object_key) != (kind, int(number)):
            raise forbidden("parent_comment_id", body.parent_comment_id, "comment")
    if (body.context_type is None) != (body.context_ext is None):
        raise invalid("context_ext", "A coordinate pin needs context_type and context_ext.")
    comment = Comment(
        tenant_id=ctx.tenant_id,
        object_kind=kind,
        object_key=int(number),
        scope_id=target.scope_id,
        user_id=ctx.user_id,
        body=body.body,
        mentions=await _mentions(ctx, body.mentions),
        parent_comment_id=parent_key,
        context_type=body.context_type,
        context_ext=body.context_ext.model_dump() if body.context_ext is not None else None,
    )
    ctx.session.add(comment)
    await ctx.session.flush()
    return comment.id


async def _editable(ctx: V5Context, key: int) -> Comment:
    """A comment the caller may see, and wrote or may manage (403 otherwise)."""

    wire = f"comment:{key}"
    comment = await ctx.session.get(Comment, (ctx.tenant_id, key))
    if comment is None or not await ctx.can(OBJECTS[comment.object_kind].read, comment.scope_id):
        raise forbidden("comment_id", wire, "comment")
    if comment.user_id != ctx.user_id:
        await ctx.require("comment:manage", comment.scope_id, "comment_id", wire)
    return comment


async def _update(ctx: V5Context, key: int, body: CommentUpdate) -> None:
    comment = await _editable(ctx, key)
    if body.body is not None:
        comment.body = body.body
    if body.mentions is not None:
        comment.mentions = await _mentions(ctx, body.mentions)
    if body.context_ext is not None:
        if comment.context_type is None:
            raise invalid("context_ext", "Only a coordinate pin has a context_ext.")
        comment.context_ext = body.context_ext.model_dump()
    await ctx.session.flush()


async def _delete(ctx: V5Context, key: int) -> None:
    """Delete a comment and its replies."""

    comment = await _editable(ctx, key)
    await ctx.session.execute(
        delete(Comment)
        .where(of_tenant(Comment, ctx.tenant_id), Comment.parent_comment_id == key)
        .execution_options(synchronize_session=False)
    )
    await ctx.session.delete(comment)
    await ctx.session.flush()


router = resource_router(
    RESOURCE,
    create=Create(CommentCreate, _create, "Comment on a post or channel (replies, pins)."),
    update=Update(CommentUpdate, _update, "Edit a comment (its author or `comment:manage`)."),
    delete=Delete(_delete, "Delete a comment and its replies (author or `comment:manage`)."),
    list_description="Comments; send ids or object_ids (else 400).",
)
