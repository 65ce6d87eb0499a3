"""``GET /api/v3/media``: one license's library as v3 lists it, folders and files together.

A folder's direct contents unless ``flat``; the page is merged from the first
``offset + limit`` folders and files in the requested order (both sides sorted the same way),
so it costs two bounded queries whatever the library's size. ``facets.tags`` counts the tags
of the files on the page.

Filters about files (query, content types, sizes, state, tags, ...) leave folders out; those
about every item (dates, creators, uids) apply to both. Assets carry no usage rights, terms
or approval workflows here, so filters asking for them match nothing (and their negations
everything) rather than being ignored.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    Text,
    and_,
    case,
    cast,
    false,
    func,
    or_,
    select,
    true,
)

from tenantry.core.resources.scoped import of_tenant
from tenantry.percolate.api.context import V5Context, forbidden
from tenantry.percolate.api.ids import ScopeRef, invalid
from tenantry.percolate.api.params import parse_moment
from tenantry.percolate.asset.declaration import CONTENT_TYPE_PATTERN, SIZE_CLASSES, shaped, sized
from tenantry.percolate.asset.models import Asset
from tenantry.percolate.folder.location import Location, in_locations, parse_location
from tenantry.percolate.folder.models import Folder
from tenantry.percolate.media.uids import parse_uid

MAX_LIMIT = 100
MAX_WINDOW = 10_000
_ORDER = {
    "creation_date": "created_at",
    "added_at": "created_at",
    "created_at": "created_at",
    "name": "name",
    "title": "name",
}
_TYPES = ("folder", "image", "video")
_ORIENTATIONS = {"vertical": "portrait", "horizontal": "landscape", "square": "square"}
_STATES = ("processing", "approving", "ready")
_USER = re.compile(r"^(user:)?\d{1,18}$")
_TERM = re.compile(r"^term:[a-zA-Z\d]+$")
_WILDCARD_TYPE = re.compile(r"^(\*|\w+/\*)$")
_APPROVAL_PARAMS = (
    "approval_workflow",
    "approval_workflow_participant_user_ids",
    "approval_workflow_participant_feedbacks",
    "approval_workflow_participant_in_step",
    "approval_user_ids",
)
_RIGHTS_PARAMS = ("expires_after", "expires_before")


@dataclass
class Search:
    scope_id: int
    folder: Location
    flat: bool = False
    types: set[str] = field(default_factory=lambda: set(_TYPES))
    deleted: bool = False
    queries: list[str] = field(default_factory=list)
    content_types: list[str] = field(default_factory=list)
    orientations: list[str] = field(default_factory=list)
    exclude_content_types: list[str] = field(default_factory=list)
    start_at: datetime | None = None
    end_at: datetime | None = None
    sizes: list[str] = field(default_factory=list)
    states: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    user_ids: list[int] = field(default_factory=list)
    uids: list[tuple[str, int]] | None = None
    is_photo: bool | None = None
    ingested_from: str | None = None
    type_order: list[str] = field(default_factory=list)
    """``content_type_order``: files of these types first, in this order (then the rest)."""
    nothing: bool = False
    """A filter asks for what no file here has (usage rights, terms, approval workflows)."""
    order_by: str = "created_at"
    descending: bool = True
    limit: int = 20
    offset: int = 0

    @property
    def files_only(self) -> bool:
        """A filter about files is given: folders cannot match."""
        return bool(
            self.queries
            or self.content_types
            or self.exclude_content_types
            or self.orientations
            or self.sizes
            or self.states
            or self.tags
            or self.is_photo is not None
            or self.ingested_from is not None
            or self.nothing
        )


def _csv(raw: str | None) -> list[str]:
    return [part.strip() for part in (raw or "").split(",") if part.strip()]


def _int(query: dict[str, str], name: str, default: int, maximum: int) -> int:
    raw = query.get(name)
    if raw is None:
        return default
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9 or int(raw) > maximum:
        raise invalid(name, f"{name} is an integer from 0 to {maximum}.", raw)
    return int(raw)


def parse_search(
    query: dict[str, str], *, folder: str | None = None, scope_id: int | None = None
) -> Search:
    """The search a v3 query asks for (400 naming the bad parameter); inside a folder the
    license is the folder's."""
    named = _int(query, "index_license_id", -1, 10**18 - 1)
    if named < 0:
        named = _int(query, "license_id", -1, 10**18 - 1)
    if scope_id is not None and named not in (-1, scope_id):
        raise invalid("index_license_id", "The folder is in another license.", named)
    scope_id = scope_id if scope_id is not None else named
    if scope_id < 0:
        raise invalid("index_license_id", "index_license_id is required.")
    uid = folder or query.get("folder_uid", "primary")
    location = parse_location("folder:primary" if uid == "primary" else uid, "folder_uid")
    types = set(_csv(query.get("type"))) or set(_TYPES)
    if not types <= set(_TYPES):
        raise invalid("type", "type accepts: folder, image, video.", query.get("type"))
    orientations = _csv(query.get("orientations"))
    if not set(orientations) <= set(_ORIENTATIONS):
        raise invalid("orientations", "orientations accepts: vertical, horizontal, square.")
    sizes = _choices(query, "sizes", SIZE_CLASSES)
    states = _choices(query, "state", _STATES)
    order = query.get("order_by", "created_at")
    if order not in _ORDER:
        raise invalid("order_by", f"order_by accepts: {', '.join(_ORDER)}.", order)
    direction = query.get("order_direction", "desc")
    if direction not in ("asc", "desc"):
        raise invalid("order_direction", "order_direction accepts: asc, desc.", direction)
    limit = max(_int(query, "limit", 20, MAX_LIMIT), 1)
    offset = _int(query, "offset", 0, MAX_WINDOW)
    deleted = query.get("deleted", query.get("deleted_only", "false")).lower() == "true"
    return Search(
        exclude_content_types=_content_types(query, "exclude_content_types"),
        start_at=_day(query, "start_at"),
        end_at=_day(query, "end_at"),
        sizes=sizes,
        states=states,
        tags=_csv(query.get("tag"))[:100],
        user_ids=[int(u.rsplit(":", 1)[-1]) for u in _matching(query, "user_ids", _USER)],
        uids=_uids(query),
        is_photo=_flag(query, "is_photo"),
        ingested_from=_text(query, "ingested_from"),
        nothing=_asks_for_nothing(query),
        type_order=_content_types(query, "content_type_order"),
        scope_id=scope_id,
        folder=location,
        flat=query.get("flat", "false").lower() == "true"
        or ("uids" in query and folder is None and "folder_uid" not in query),
        types=types,
        deleted=deleted,
        queries=_csv(query.get("query")),
        content_types=_content_types(query, "content_type"),
        orientations=orientations,
        order_by=_ORDER[order],
        descending=direction == "desc",
        limit=limit,
        offset=offset,
    )


def _choices(query: dict[str, str], name: str, allowed: tuple[str, ...]) -> list[str]:
    values = _csv(query.get(name))
    if not set(values) <= set(allowed):
        raise invalid(name, f"{name} accepts: {', '.join(allowed)}.", query.get(name))
    return values


def _matching(query: dict[str, str], name: str, pattern: re.Pattern[str]) -> list[str]:
    values = _csv(query.get(name))
    if len(values) > 100:
        raise invalid(name, f"{name} takes at most 100 values.")
    for value in values:
        if not pattern.match(value):
            raise invalid(name, f"{name} holds {pattern.pattern} values.", value[:200])
    return values


def _content_types(query: dict[str, str], name: str) -> list[str]:
    """MIME types, ``image/*`` or ``*`` (any)."""
    values = _csv(query.get(name))
    for value in values:
        if not (_WILDCARD_TYPE.match(value) or re.match(CONTENT_TYPE_PATTERN, value)):
            raise invalid(name, f"{name} holds MIME types (image/jpeg, image/*).", value[:200])
    return values[:100]


def _day(query: dict[str, str], name: str) -> datetime | None:
    raw = query.get(name)
    return None if raw is None else parse_moment(name, raw)


def _flag(query: dict[str, str], name: str) -> bool | None:
    raw = query.get(name)
    if raw is None:
        return None
    if raw.lower() not in ("true", "false"):
        raise invalid(name, f"{name} is true or false.", raw[:200])
    return raw.lower() == "true"


def _text(query: dict[str, str], name: str) -> str | None:
    raw = query.get(name)
    if raw is not None and len(raw) > 255:
        raise invalid(name, f"{name} is at most 255 characters.", raw[:200])
    return raw


def _uids(query: dict[str, str]) -> list[tuple[str, int]] | None:
    if "uids" not in query:
        return None
    values = _csv(query["uids"])
    if len(values) > 1000:
        raise invalid("uids", "uids takes at most 1000 values.")
    refs = [parse_uid(value, "uids") for value in values]
    return [(ref.kind, ref.key) for ref in refs]


def _asks_for_nothing(query: dict[str, str]) -> bool:
    """Whether a filter asks for usage rights, terms or approval workflows (none are kept
    on files here); each is still validated."""
    asked = _flag(query, "has_usage_rights") is True
    for name in _RIGHTS_PARAMS:
        if name in query:
            parse_moment(name, query[name])
            asked = True
    if _matching(query, "term_uids", _TERM):
        asked = True
    if "approval_workflow" in query:
        _choices(query, "approval_workflow", ("incomplete",))
    _matching(query, "approval_workflow_participant_user_ids", _USER)
    _matching(query, "approval_user_ids", _USER)
    _choices(query, "approval_workflow_participant_feedbacks", ("approved", "pending"))
    _choices(query, "approval_workflow_participant_in_step", ("current", "any"))
    if any(_csv(query.get(name)) for name in _APPROVAL_PARAMS[:2] + _APPROVAL_PARAMS[4:]):
        asked = True
    return asked


def _escaped(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def _where(ctx: V5Context, search: Search, model: Any, folder_column: Any) -> Any:
    if search.deleted:
        place = model.deleted.is_(True)
    else:
        place = await in_locations(
            ctx,
            [search.folder],
            search.flat,
            folder_column=folder_column,
            deleted_column=model.deleted,
            trashed_with_column=model.trashed_with,
        )
    common: list[ColumnElement[bool]] = []
    if search.start_at is not None:
        common.append(model.created_at >= search.start_at)
    if search.end_at is not None:
        common.append(model.created_at < search.end_at)
    if search.user_ids:
        common.append(model.creator_id.in_(search.user_ids))
    if search.uids is not None:
        kind = "folder" if model is Folder else "asset"
        common.append(model.id.in_(sorted({key for k, key in search.uids if k == kind})))
    return and_(of_tenant(model, ctx.tenant_id), model.scope_id == search.scope_id, place, *common)


def _ordered(stmt: Select[Any], search: Search, column: Any, model: Any) -> Select[Any]:
    keys: list[Any] = (
        [column.desc(), model.id.desc()] if search.descending else [column.asc(), model.id]
    )
    if search.type_order and model is Asset:
        ranks = [(_typed(wanted), index) for index, wanted in enumerate(search.type_order)]
        keys.insert(0, case(*ranks, else_=len(search.type_order)))
    return stmt.order_by(*keys).limit(search.offset + search.limit)


def _rank(search: Search, item: Folder | Asset) -> int:
    """Where ``content_type_order`` puts an item (folders and other files after the list)."""
    if isinstance(item, Asset):
        for index, wanted in enumerate(search.type_order):
            if (
                wanted == "*"
                or item.content_type == wanted
                or (wanted.endswith("/*") and item.content_type.startswith(wanted[:-1]))
            ):
                return index
    return len(search.type_order)


async def run_search(ctx: V5Context, search: Search) -> tuple[list[Folder | Asset], int]:
    """The page's folders and files, in order, and the total."""
    await ctx.scope_of(ScopeRef("license", search.scope_id), "index_license_id")
    if not await ctx.can("media:read", search.scope_id):
        raise forbidden("index_license_id", search.scope_id, "license")
    folders: list[tuple[Any, int, Folder]] = []
    assets: list[tuple[Any, int, Asset]] = []
    total = 0
    if "folder" in search.types and not search.files_only:
        condition = await _where(ctx, search, Folder, Folder.parent_id)
        column = Folder.name if search.order_by == "name" else Folder.created_at
        found = await ctx.session.scalars(
            _ordered(select(Folder).where(condition), search, column, Folder)
        )
        folders = [(getattr(f, column.key), f.id, f) for f in found]
        total += await _count(ctx, Folder, condition)
    wanted = {"image", "video"} & search.types
    if wanted:
        condition = await _where(ctx, search, Asset, Asset.folder_id)
        if wanted == {"image"}:
            condition = and_(condition, Asset.type == "image")
        elif wanted == {"video"}:
            condition = and_(condition, Asset.type != "image")
        condition = and_(condition, _filters(search))
        column = Asset.filename if search.order_by == "name" else Asset.created_at
        found_assets = await ctx.session.scalars(
            _ordered(select(Asset).where(condition), search, column, Asset)
        )
        assets = [(getattr(a, column.key), a.id, a) for a in found_assets]
        total += await _count(ctx, Asset, condition)
    merged: list[tuple[Any, int, Folder | Asset]] = [*folders, *assets]
    merged.sort(key=lambda item: (item[0], item[1]), reverse=search.descending)
    merged.sort(key=lambda item: _rank(search, item[2]))
    page = merged[search.offset : search.offset + search.limit]
    return [item[2] for item in page], total


def _typed(wanted: str) -> ColumnElement[bool]:
    if wanted == "*":
        return true()
    if wanted.endswith("/*"):
        return Asset.content_type.like(_escaped(wanted[:-1]) + "%", escape="\\")
    return Asset.content_type == wanted


def _tagged(tag: str) -> ColumnElement[bool]:
    """The JSON list of tags holds ``tag`` (its JSON text, as stored, on both engines)."""
    return cast(Asset.tags, Text).contains(json.dumps(tag), autoescape=True)


def _filters(search: Search) -> Any:
    clauses: list[Any] = []
    if search.nothing:
        return false()
    if search.queries:
        words = [f"%{_escaped(q.lower())}%" for q in search.queries]
        clauses.append(
            or_(
                *(
                    column.ilike(word, escape="\\")
                    for word in words
                    for column in (Asset.filename, Asset.title, Asset.description)
                )
            )
        )
    if search.content_types:
        clauses.append(or_(*(_typed(wanted) for wanted in search.content_types)))
    if search.exclude_content_types:
        clauses.append(~or_(*(_typed(wanted) for wanted in search.exclude_content_types)))
    if search.orientations:
        clauses.append(shaped([_ORIENTATIONS[o] for o in search.orientations]))
    if search.sizes:
        clauses.append(sized(search.sizes))
    if search.states:
        states = [Asset.status == "ready"] if "ready" in search.states else []
        if "processing" in search.states:
            states.append(Asset.status != "ready")
        clauses.append(or_(*states) if states else false())
    if search.tags:
        clauses.append(or_(*(_tagged(tag) for tag in search.tags)))
    if search.is_photo is not None:
        photo = Asset.type == "image"
        clauses.append(photo if search.is_photo else ~photo)
    if search.ingested_from is not None:
        clauses.append(Asset.created_through == search.ingested_from)
    return and_(*clauses) if clauses else ~false()


async def _count(ctx: V5Context, model: Any, condition: Any) -> int:
    return int(
        await ctx.session.scalar(select(func.count()).select_from(model).where(condition)) or 0
    )
