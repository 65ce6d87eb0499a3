"""``/api/v5/term/`` (reference §3.14): tags and taxonomy trees.

A term's ``path`` lists its ancestors root first, so a subtree is a prefix, ``depth`` levels
below a parent is a range, and a move that would make a term its own ancestor is refused
before anything is written. Names are unique among siblings (409).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.orm import aliased

from tenantry.core.errors import Conflict, FieldError
from tenantry.core.resources.scoped import of_tenant, same_tenant
from tenantry.percolate.api.common import owned_by_scopes, visible_in_reach
from tenantry.percolate.api.context import V5Context, forbidden
from tenantry.percolate.api.fields import (
    column,
    constant,
    id_schema,
    nullable,
    scope,
    timestamp,
    typed_id,
)
from tenantry.percolate.api.ids import SCOPE_PATTERN, IdKind, invalid, parse_scope
from tenantry.percolate.api.params import csv_param, ids_param, int_param, text_param
from tenantry.percolate.api.resource import (
    Include,
    ListFilter,
    OrderField,
    Resource,
    date_range,
)
from tenantry.percolate.api.routes import Create, Update, resource_router
from tenantry.percolate.term.models import Term

__all__ = ["KIND", "RESOURCE", "router"]

KIND = IdKind("term", list_pattern=r"^term:[a-zA-Z\d]+$")
MAX_DEPTH = 50
_child = aliased(Term)


def ancestors(path: str) -> list[int]:
    return [int(part) for part in path.strip("/").split("/") if part]


def _taxonomy_id(path: str) -> str | None:
    """The root of the term's path (``/12/34/`` -> ``term:12``), read without parsing the
    rest: the presenter formats one per term of a page."""
    root = path.split("/", 2)[1]
    return f"term:{root}" if root else None


def _path_ids(path: str) -> list[str]:
    """The ancestors as typed ids, straight from the path's digits."""
    return [f"term:{key}" for key in path.split("/") if key]


async def _children(ctx: V5Context, rows: Any) -> dict[int, dict[str, Any]]:
    """``child_count`` of a page in one query; a root with children is its own taxonomy."""
    keys = [row["id"] for row in rows]
    counts = dict(
        await ctx.db.rows(
            select(Term.parent_id, func.count())
            .where(of_tenant(Term, ctx.tenant_id), Term.parent_id.in_(keys))
            .group_by(Term.parent_id)
        )
    )
    out: dict[int, dict[str, Any]] = {}
    for row in rows:
        count = int(counts.get(row["id"], 0))
        extra: dict[str, Any] = {"child_count": count}
        if count and row["parent_id"] is None:
            extra["taxonomy_id"] = f"term:{row['id']}"
        out[row["id"]] = extra
    return out


def _has_children() -> ColumnElement[bool]:
    return exists(select(_child.id).where(same_tenant(_child, Term), _child.parent_id == Term.id))


async def _below_parents(stmt: Select[Any], values: dict[str, Any], ctx: V5Context) -> Select[Any]:
    """``parent_ids`` with ``depth``: terms up to ``depth`` levels below those parents."""
    if "parent_ids" not in values:
        return stmt
    depth = values.get("depth", 1)
    parents = await ctx.db.rows(
        select(Term.id, Term.path, Term.depth).where(
            of_tenant(Term, ctx.tenant_id), Term.id.in_(values["parent_ids"])
        )
    )
    if not parents:
        return stmt.where(false())
    clauses = [
        and_(Term.path.startswith(f"{path}{key}/", autoescape=True), Term.depth <= level + depth)
        for key, path, level in parents
    ]
    return stmt.where(or_(*clauses))


async def _mode(stmt: Select[Any], values: dict[str, Any], _ctx: V5Context) -> Select[Any]:
    """``regular``: standalone terms; ``taxonomy``: terms in a tree. Without ``mode``, the
    default (``regular``) applies only to scope listings, never to ``ids`` or children."""
    modes = values.get("mode")
    if modes is None:
        if "parent_ids" in values or "ids" in values:
            return stmt
        modes = ["regular"]
    in_tree = or_(Term.parent_id.is_not(None), _has_children())
    wanted = set(modes)
    if wanted == {"regular"}:
        return stmt.where(~in_tree)
    if wanted == {"taxonomy"}:
        return stmt.where(in_tree)
    return stmt


async def _search(stmt: Select[Any], values: dict[str, Any], _ctx: V5Context) -> Select[Any]:
    if values.get("search"):
        stmt = stmt.where(Term.name_key.contains(values["search"].lower(), autoescape=True))
    if values.get("namespace"):
        stmt = stmt.where(Term.namespace == values["namespace"])
    return stmt


MODE = csv_param(
    "mode",
    "A CSV of modes: regular (standalone) or taxonomy (in a tree); default regular.",
    enum=("regular", "taxonomy"),
)

TERM_ID = id_schema("term")

RESOURCE = Resource(
    kind=KIND,
    model=Term,
    title="Term",
    fields=(
        typed_id("term", Term.id),
        column(Term.name, {"type": "string"}),
        column(Term.namespace, {"type": "string"}),
        scope(Term.scope_id),
        typed_id("term", Term.parent_id),
        column(Term.path, nullable(TERM_ID), name="taxonomy_id", convert=_taxonomy_id),
        constant("child_count", 0, {"type": "integer", "minimum": 0}),
        column(Term.path, {"type": "array", "items": TERM_ID}, name="path_ids", convert=_path_ids),
        column(Term.status, {"type": "string", "enum": ["active", "inactive"]}),
        timestamp(Term.created_at),
        timestamp(Term.updated_at),
    ),
    enrich=_children,
    visible=visible_in_reach("term:read", Term.scope_id),
    required_any=("ids", "scope_ids", "parent_ids"),
    order_fields={"name": OrderField(Term.name_key), "created_at": OrderField(Term.created_at)},
    includes={"path_ids": Include("term", lambda row: ancestors(row["path"]))},
    filters=(
        owned_by_scopes(Term.scope_id),
        ListFilter(
            (
                ids_param("parent_ids", KIND, "A CSV of parent term IDs to filter by."),
                int_param(
                    "depth",
                    "Fetch children up to N levels deep.",
                    default=1,
                    minimum=1,
                    maximum=MAX_DEPTH,
                ),
            ),
            _below_parents,
        ),
        ListFilter(
            (
                text_param("search", "Search terms by name."),
                text_param("namespace", "Term namespace.", max_length=100),
            ),
            _search,
        ),
        ListFilter((MODE,), _mode),
        date_range("created_at", Term.created_at),
    ),
)


class TermCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str = Field(min_length=1, max_length=200)
    scope_id: str | None = Field(default=None, pattern=SCOPE_PATTERN)
    namespace: str = Field(default="tag", min_length=1, max_length=100)
    parent_id: str | None = Field(default=None, pattern=r"^term:\d+$")
    status: Literal["active", "inactive"] = "active"


class TermUpdate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    parent_id: str | None = Field(default=None, pattern=r"^term:\d+$")
    status: Literal["active", "inactive"] | None = None


async def _sibling_clash(ctx: V5Context, term: Term, *, exclude: int | None = None) -> None:
    clash = await ctx.session.scalar(
        select(func.count()).where(
            of_tenant(Term, ctx.tenant_id),
            Term.scope_key == term.scope_key,
            Term.parent_key == term.parent_key,
            Term.namespace == term.namespace,
            Term.name_key == term.name_key,
            Term.id != (exclude or 0),
        )
    )
    if clash:
        raise Conflict(
            "A sibling term already has this name.", [FieldError("name", "taken", term.name)]
        )


async def _parent(ctx: V5Context, wire: str) -> Term:
    parent = await ctx.session.get(Term, (ctx.tenant_id, KIND.parse(wire, "parent_id")))
    if parent is None:
        raise forbidden("parent_id", wire, "term")
    return parent


async def _create(ctx: V5Context, body: TermCreate) -> int:
    parent = await _parent(ctx, body.parent_id) if body.parent_id is not None else None
    if parent is not None:
        scope_id = parent.scope_id
        if (
            body.scope_id is not None
            and await ctx.scope_of(parse_scope(body.scope_id, "scope_id"), "scope_id") != scope_id
        ):
            raise invalid("scope_id", "A child term lives in its parent's scope.", body.scope_id)
    elif body.scope_id is not None:
        scope_id = await ctx.scope_of(parse_scope(body.scope_id, "scope_id"), "scope_id")
    else:
        scope_id = None
    await ctx.require("term:create", scope_id, "scope_id", body.scope_id)
    name = body.name.strip()
    if not name:
        raise invalid("name", "A term needs a name.", body.name)
    term = Term(
        tenant_id=ctx.tenant_id,
        name=name,
        name_key=name.lower(),
        namespace=parent.namespace if parent is not None else body.namespace,
        scope_id=scope_id,
        scope_key=scope_id or 0,
        parent_id=parent.id if parent is not None else None,
        parent_key=parent.id if parent is not None else 0,
        path=f"{parent.path}{parent.id}/" if parent is not None else "/",
        depth=parent.depth + 1 if parent is not None else 0,
        status=body.status,
    )
    await _sibling_clash(ctx, term)
    ctx.session.add(term)
    await ctx.session.flush()
    return term.id


async def _update(ctx: V5Context, key: int, body: TermUpdate) -> None:
    wire = f"term:{key}"
    term = await ctx.session.get(Term, (ctx.tenant_id, key))
    if term is None:
        raise forbidden("term_id", wire, "term")
    await ctx.require("term:update", term.scope_id, "term_id", wire)
    if body.name is not None:
        name = body.name.strip()
        if not name:
            raise invalid("name", "A term needs a name.", body.name)
        term.name, term.name_key = name, name.lower()
    if body.status is not None:
        term.status = body.status
    if "parent_id" in body.model_fields_set and body.parent_id != (
        f"term:{term.parent_id}" if term.parent_id is not None else None
    ):
        await _move(ctx, term, body.parent_id)
    await _sibling_clash(ctx, term, exclude=term.id)
    await ctx.session.flush()


async def _move(ctx: V5Context, term: Term, parent_wire: str | None) -> None:
    """Re-parent ``term`` and its subtree; refuse a cycle (400) before writing anything."""
    old_prefix = f"{term.path}{term.id}/"
    if parent_wire is None:
        new_path, new_depth, parent_id = "/", 0, None
    else:
        parent = await _parent(ctx, parent_wire)
        if parent.id == term.id or term.id in ancestors(parent.path):
            raise invalid("parent_id", "A term cannot become its own ancestor.", parent_wire)
        if parent.scope_id != term.scope_id:
            raise invalid("parent_id", "The parent term is in another scope.", parent_wire)
        new_path, new_depth, parent_id = f"{parent.path}{parent.id}/", parent.depth + 1, parent.id
    new_prefix = f"{new_path}{term.id}/"
    shift = new_depth - term.depth
    await ctx.session.execute(
        update(Term)
        .where(of_tenant(Term, ctx.tenant_id), Term.path.startswith(old_prefix, autoescape=True))
        .values(
            path=literal(new_prefix, String).concat(func.substr(Term.path, len(old_prefix) + 1)),
            depth=Term.depth + shift,
        )
        .execution_options(synchronize_session=False)
    )
    term.parent_id, term.parent_key = parent_id, parent_id or 0
    term.path, term.depth = new_path, new_depth


router = resource_router(
    RESOURCE,
    create=Create(TermCreate, _create, "Create a term, at the top or under a parent term."),
    update=Update(TermUpdate, _update, "Rename, re-parent (no cycles) or (de)activate a term."),
    list_description=(
        "Terms. Send at least one of ids, scope_ids, parent_ids; depth and search are optional."
    ),
)
