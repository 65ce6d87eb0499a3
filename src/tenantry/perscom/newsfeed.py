"""``GET /newsfeed`` (``view:newsfeed``): the activity feed, newest first, in PERSCOM's shape.

The item shape is not a table's row (§7.3: author and recipient by name and photo, the
likes as people), so this list is written here rather than declared; it still pages
through the floor: a deferred join on the newest-first index, one query for the page's
likes, and a count only when the page does not tell the total. The three statements are
built once, with bind parameters, so each request only binds values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any, cast
from urllib.parse import quote_plus

import orjson
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    Select,
    Text,
    and_,
    bindparam,
    func,
    literal_column,
    select,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import aliased
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from tenantry.core.auth import require
from tenantry.core.identity.models import User
from tenantry.core.resources.paging import count_of, known_total
from tenantry.core.resources.scoped import of_tenant, same_tenant
from tenantry.core.resources.sideload import among_keys
from tenantry.core.resources.sql import mapping
from tenantry.perscom.engine.actions import list_path
from tenantry.perscom.engine.context import FORBIDDEN, CallOpener
from tenantry.perscom.engine.declaration import RenderContext
from tenantry.perscom.engine.query import Page, page_request
from tenantry.perscom.engine.runtime import format_datetime
from tenantry.perscom.engine.serialize import paginated, respond
from tenantry.perscom.resources.newsfeed import NewsfeedItem, NewsfeedLike
from tenantry.perscom.resources.people import UserProfile

_author = aliased(User, name="author")
_author_profile = aliased(UserProfile, name="author_profile")
_recipient = aliased(User, name="recipient")
_recipient_profile = aliased(UserProfile, name="recipient_profile")

_FEED: Select[Any] = cast(
    Select[Any],
    select(
        NewsfeedItem.id,
        NewsfeedItem.description,
        NewsfeedItem.event,
        NewsfeedItem.type,
        NewsfeedItem.headline,
        NewsfeedItem.text,
        NewsfeedItem.item,
        NewsfeedItem.color,
        NewsfeedItem.created_at,
        _author.name.label("author"),
        _author_profile.profile_photo.label("author_photo"),
        _recipient.name.label("recipient"),
        _recipient_profile.profile_photo.label("recipient_photo"),
    )
    .select_from(NewsfeedItem)
    .outerjoin(
        _author, and_(same_tenant(_author, NewsfeedItem), _author.id == NewsfeedItem.author_id)
    )
    .outerjoin(
        _author_profile,
        and_(same_tenant(_author_profile, NewsfeedItem), _author_profile.user_id == _author.id),
    )
    .outerjoin(
        _recipient,
        and_(same_tenant(_recipient, NewsfeedItem), _recipient.id == NewsfeedItem.recipient_id),
    )
    .outerjoin(
        _recipient_profile,
        and_(
            same_tenant(_recipient_profile, NewsfeedItem),
            _recipient_profile.user_id == _recipient.id,
        ),
    ),
)
_ID: ColumnElement[int] = NewsfeedItem.__table__.c.id
_NEWEST = (NewsfeedItem.created_at.desc(), NewsfeedItem.id.desc())
_TENANT = bindparam("tenant", type_=BigInteger)
_ITEMS: Select[Any] = select(_ID).where(of_tenant(NewsfeedItem, _TENANT))
_PAGED = (
    _ITEMS.order_by(*_NEWEST)
    .limit(bindparam("limit", type_=Integer))
    .offset(bindparam("offset", type_=Integer))
    .subquery("page")
)
LIKERS = "likers"


def _likers() -> ColumnElement[str]:
    """PostgreSQL: an item's likers as one JSON array (as text), in the order they liked."""
    liker = func.json_build_object(
        literal_column("'id'"), User.id, literal_column("'name'"), User.name
    )
    return (
        select(sql_cast(func.json_agg(aggregate_order_by(liker, NewsfeedLike.id)), Text))
        .select_from(NewsfeedLike)
        .join(User, and_(same_tenant(User, NewsfeedLike), User.id == NewsfeedLike.user_id))
        .where(same_tenant(NewsfeedLike, NewsfeedItem), NewsfeedLike.newsfeed_id == NewsfeedItem.id)
        .scalar_subquery()
        .label(LIKERS)
    )


def _page(*extra: ColumnElement[Any]) -> Select[Any]:
    """A page of items, newest first: only the page's ids meet the joins, each met by its
    whole key (tenant and id), so each is one primary-key look-up. The total is a second
    statement when the page does not tell it: counting in the page's own scan (a window
    over every item of the tenant) took the database three times as long as the two."""
    feed = _FEED.add_columns(*extra)
    paged = feed.join(_PAGED, _PAGED.c.id == _ID).where(of_tenant(NewsfeedItem, _TENANT))
    return paged.order_by(*_NEWEST)


PAGE = {"postgresql": _page(_likers()), "sqlite": _page()}
"""PostgreSQL reads the likers with the page; SQLite (no ordered aggregates before 3.44)
reads them with a second statement."""
COUNT: Select[Any] = count_of(_ITEMS)


def likes_statement(dialect: str) -> Select[Any]:
    """The likers of a page's items (``keys``), in the order they liked."""
    liked: ColumnElement[int] = NewsfeedLike.__table__.c.newsfeed_id
    statement = (
        select(liked, User.id, User.name)
        .join(User, and_(same_tenant(User, NewsfeedLike), User.id == NewsfeedLike.user_id))
        .where(
            of_tenant(NewsfeedLike, bindparam("tenant", type_=BigInteger)),
            among_keys(liked, dialect),
        )
        .order_by(liked, NewsfeedLike.id)
    )
    return cast(Select[Any], statement)


LIKES = likes_statement("sqlite")
"""SQLite's second statement (PostgreSQL reads the likers with the page)."""


def prepare(dialect: str) -> list[Any]:
    """The statements of the feed, for compiling once at start-up."""
    return [PAGE[dialect], COUNT] if dialect == "postgresql" else [PAGE[dialect], COUNT, LIKES]


def photo_url(name: str | None, path: str | None, render: RenderContext) -> str | None:
    """A stored photo, else the initials fallback users get (``profile_photo_url``)."""
    if path:
        return render.public_url(path)
    if name is None:
        return None
    return _initials(name)


@lru_cache(maxsize=4096)
def _initials(name: str) -> str:
    """A feed names the same few people over and over: each fallback is quoted once."""
    return f"https://ui-avatars.com/api/?name={quote_plus(name)}&color=FFFFFF&background=111827"


def feed_item(
    row: Mapping[str, Any], likes: Sequence[dict[str, Any]], render: RenderContext
) -> dict[str, Any]:
    return {
        "id": row["id"],
        "author": row["author"],
        "author_profile_photo": photo_url(row["author"], row["author_photo"], render),
        "recipient": row["recipient"],
        "recipient_profile_photo": photo_url(row["recipient"], row["recipient_photo"], render),
        "description": row["description"],
        "event": row["event"],
        "type": row["type"],
        "headline": row["headline"],
        "text": row["text"],
        "item": row["item"],
        "color": row["color"],
        "likes": list(likes),
        "created_at": format_datetime(row["created_at"]),
    }


def newsfeed_routes(open_call: CallOpener) -> list[BaseRoute]:
    async def index(request: Request) -> Response:
        page = page_request(request)
        async with open_call(request, writing=False) as call:
            require(call.principal, "view:newsfeed", FORBIDDEN)
            values = {"tenant": call.tenant_id, "limit": page.size, "offset": page.offset}
            rows = [mapping(r) for r in await call.db.rows(PAGE[call.dialect], values)]
            total = known_total(page.offset, page.size, len(rows))
            if total is None:
                total = int(await call.db.scalar(COUNT, {"tenant": call.tenant_id}))
            likes: dict[int, list[dict[str, Any]]] = {
                int(r["id"]): orjson.loads(r[LIKERS]) if r.get(LIKERS) else [] for r in rows
            }
            if rows and call.dialect != "postgresql":
                keys = {"tenant": call.tenant_id, "keys": list(likes)}
                for like in await call.db.rows(LIKES, keys):
                    item_id, user_id, name = tuple(like)
                    likes[int(item_id)].append({"id": user_id, "name": name})
            data = [feed_item(r, likes[int(r["id"])], call.render) for r in rows]
        return respond(paginated(data, Page(data, total, page), list_path(request)))

    return [Route("/newsfeed", index, methods=["GET"], include_in_schema=False)]
