"""The comment resource (reference §3.11): wire fields, coordinates, filters and visibility."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, and_, false, or_

from tenantry.percolate.api.context import V5Context
from tenantry.percolate.api.fields import (
    column,
    computed,
    id_schema,
    nullable,
    scope,
    timestamp,
    typed_by,
    typed_id,
)
from tenantry.percolate.api.ids import IdKind, invalid
from tenantry.percolate.api.params import Param, choice_param, csv_param
from tenantry.percolate.api.resource import Include, ListFilter, OrderField, Resource
from tenantry.percolate.comment.models import Comment
from tenantry.percolate.metadata.declaration import OBJECTS

KIND = IdKind("comment", list_pattern=r"^comment:[a-zA-Z\d]+$")
USER = IdKind("user")
OBJECT_IDS_PATTERN = (
    r"^(folder|media|asset|channel|post|brief|campaign|post_set|market_request|"
    r"market_response|monitoring_flag|task|link|comment|intake_request):\d+$"
)


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
    if "object_ids" in values or "object_id" in values:
        # ``object_id`` is what the vendor's Java SDK sends: the same filter.
        wanted = [*values.get("object_ids", ()), *values.get("object_id", ())]
        refs = [value.partition(":") for value in wanted]
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


MENTIONS_SCHEMA: dict[str, Any] = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["object_id", "offset", "length"],
        "properties": {
            "object_id": id_schema("user"),
            "offset": {"type": "integer", "minimum": 0},
            "length": {"type": "integer", "minimum": 0},
        },
    },
}


def _mentions(row: Any, _ctx: Any) -> list[dict[str, Any]]:
    """Stored ``{user, offset, length}`` (or a bare user key, as rows written before spans
    were kept) as the wire's ``{object_id, offset, length}``."""
    shown = []
    for mention in row["mentions"] or ():
        if isinstance(mention, int):
            mention = {"user": mention, "offset": 0, "length": 0}
        shown.append(
            {
                "object_id": f"user:{mention['user']}",
                "offset": mention["offset"],
                "length": mention["length"],
            }
        )
    return shown


def _commented_post(row: Any) -> list[int]:
    """``include=object_id``: the commented objects that are posts (the one kind side-loaded)."""
    return [row["object_key"]] if row["object_kind"] == "post" else []


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
            computed("mentions", _mentions, MENTIONS_SCHEMA, needs=(Comment.mentions,)),
            typed_id("user", Comment.user_id),
            scope(Comment.scope_id),
            typed_id("comment", Comment.parent_comment_id),
            column(Comment.context_type, nullable({"type": "string", "enum": ["coordinate"]})),
            column(Comment.context_ext, nullable({"type": "object"})),
            timestamp(Comment.created_at),
            timestamp(Comment.updated_at),
        ),
        visible=_visible,
        required_any=("ids", "object_ids", "object_id"),
        order_fields={
            "created_at": OrderField(Comment.created_at),
            "updated_at": OrderField(Comment.updated_at),
        },
        default_order=("created_at", "asc"),
        includes={
            "user_id": Include("user", lambda row: [row["user_id"]]),
            "parent_comment_id": Include("comment", lambda row: [row["parent_comment_id"]]),
            "object_id": Include("post", _commented_post),
        },
        filters=(
            ListFilter(
                (
                    csv_param(
                        "object_ids",
                        "A CSV of object IDs to filter by.",
                        pattern=OBJECT_IDS_PATTERN,
                    ),
                    csv_param(
                        "object_id",
                        "Alias of object_ids (sent by the vendor's Java SDK).",
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
