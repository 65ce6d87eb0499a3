"""The term resource (reference §3.14): wire fields, tree filters (``mode``, depth) and search."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, false, func, or_, select
from sqlalchemy.orm import aliased

from tenantry.core.resources.scoped import of_tenant, same_tenant
from tenantry.percolate.api.common import owned_by_scopes, visible_in_reach
from tenantry.percolate.api.context import V5Context
from tenantry.percolate.api.fields import (
    column,
    constant,
    id_schema,
    nullable,
    scope,
    timestamp,
    typed_id,
)
from tenantry.percolate.api.ids import IdKind
from tenantry.percolate.api.params import csv_param, ids_param, int_param, text_param
from tenantry.percolate.api.resource import Include, ListFilter, OrderField, Resource, date_range
from tenantry.percolate.term.models import Term

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


def has_children() -> ColumnElement[bool]:
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
    in_tree = or_(Term.parent_id.is_not(None), has_children())
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


_MODE = csv_param(
    "mode",
    "A CSV of modes: regular (standalone) or taxonomy (in a tree); default regular.",
    enum=("regular", "taxonomy"),
)
# The default is the seed's, applied by ``_mode`` (not to ``ids`` or ``parent_ids`` reads).
MODE = replace(_MODE, schema={**_MODE.schema, "default": "regular"})

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
