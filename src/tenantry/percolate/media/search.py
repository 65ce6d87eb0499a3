"""``GET /api/v3/media``: one license's library as v3 lists it, folders and files together.

A folder's direct contents unless ``flat``; the page is merged from the first
``offset + limit`` folders and files in the requested order (both sides sorted the same way),
so it costs two bounded queries whatever the library's size. ``facets.tags`` counts the tags
of the files on the page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, and_, false, func, or_, select

from tenantry.core.resources.scoped import of_tenant
from tenantry.percolate.api.context import V5Context, forbidden
from tenantry.percolate.api.ids import ScopeRef, invalid
from tenantry.percolate.asset.models import Asset
from tenantry.percolate.folder.location import Location, in_locations, parse_location
from tenantry.percolate.folder.models import Folder

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
_ORIENTATIONS = ("vertical", "horizontal", "square")


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
    order_by: str = "created_at"
    descending: bool = True
    limit: int = 20
    offset: int = 0


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
        scope_id=scope_id,
        folder=location,
        flat=query.get("flat", "false").lower() == "true",
        types=types,
        deleted=deleted,
        queries=_csv(query.get("query")),
        content_types=_csv(query.get("content_type")),
        orientations=orientations,
        order_by=_ORDER[order],
        descending=direction == "desc",
        limit=limit,
        offset=offset,
    )


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
    return and_(of_tenant(model, ctx.tenant_id), model.scope_id == search.scope_id, place)


def _ordered(stmt: Select[Any], search: Search, column: Any, model: Any) -> Select[Any]:
    keys = (column.desc(), model.id.desc()) if search.descending else (column.asc(), model.id)
    return stmt.order_by(*keys).limit(search.offset + search.limit)


async def run_search(ctx: V5Context, search: Search) -> tuple[list[Folder], list[Asset], int]:
    """The page's folders and files (in order) and the total."""
    await ctx.scope_of(ScopeRef("license", search.scope_id), "index_license_id")
    if not await ctx.can("media:read", search.scope_id):
        raise forbidden("index_license_id", search.scope_id, "license")
    folders: list[tuple[Any, int, Folder]] = []
    assets: list[tuple[Any, int, Asset]] = []
    total = 0
    if "folder" in search.types and not search.queries and not search.content_types:
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
    page = merged[search.offset : search.offset + search.limit]
    return (
        [item[2] for item in page if isinstance(item[2], Folder)],
        [item[2] for item in page if isinstance(item[2], Asset)],
        total,
    )


def _filters(search: Search) -> Any:
    clauses: list[Any] = []
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
        types: list[Any] = []
        for wanted in search.content_types:
            if wanted.endswith("/*"):
                types.append(Asset.content_type.like(_escaped(wanted[:-1]) + "%", escape="\\"))
            else:
                types.append(Asset.content_type == wanted)
        clauses.append(or_(*types))
    shapes = {
        "vertical": Asset.width < Asset.height,
        "horizontal": Asset.width > Asset.height,
        "square": Asset.width == Asset.height,
    }
    if search.orientations:
        clauses.append(or_(*(shapes[o] for o in search.orientations)))
    return and_(*clauses) if clauses else ~false()


async def _count(ctx: V5Context, model: Any, condition: Any) -> int:
    return int(
        await ctx.session.scalar(select(func.count()).select_from(model).where(condition)) or 0
    )
