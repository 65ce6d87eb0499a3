"""The scope resource: scope ids of every kind, parents, search and wire fields."""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import ColumnElement, false, or_

from tenantry.core.scopes import Scope
from tenantry.percolate.api.common import visible_in_reach
from tenantry.percolate.api.context import V5Context, forbidden
from tenantry.percolate.api.fields import column, scope, timestamp, typed_by
from tenantry.percolate.api.ids import SCOPE_KINDS, SCOPE_PATTERN, IdKind, parse_scope
from tenantry.percolate.api.params import Param, csv_param, text_param
from tenantry.percolate.api.resource import ListFilter, Resource, column_in, date_range

ScopeKind = Literal["license_group", "license", "brand"]


class ScopeIdKind(IdKind):
    """Scope rows carry their kind in the id (``license:7``); ``account:`` and the system
    scope have no row here, so they read as "not found" (403)."""

    def parse(self, value: object, key: str, *, pattern: bool = False) -> int:
        ref = parse_scope(value, key)
        if ref.key is None or ref.kind not in SCOPE_KINDS:
            raise forbidden(key, value, "scope")
        return ref.key

    def encode(self, key: int | None) -> str | None:
        return None if key is None else f"scope:{key}"


KIND = ScopeIdKind(
    "scope",
    list_pattern=r"^(?:brand|license(?:_group)?):\d+$",
    path_pattern=SCOPE_PATTERN,
)


async def _parents(stmt: Any, values: dict[str, Any], ctx: V5Context) -> Any:
    if "parent_ids" not in values:
        return stmt
    rows, account, _system = await ctx.filter_scopes(values["parent_ids"])
    clauses: list[ColumnElement[bool]] = []
    if rows:
        clauses.append(Scope.parent_id.in_(sorted(rows)))
    if account:
        clauses.append(Scope.parent_id.is_(None))
    return stmt.where(or_(*clauses) if clauses else false())


async def _search(stmt: Any, values: dict[str, Any], _ctx: V5Context) -> Any:
    if values.get("search"):
        stmt = stmt.where(Scope.name.ilike(f"%{_escape(values['search'])}%", escape="\\"))
    return stmt


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _parent_param() -> Param:
    def parse(raw: str) -> list[Any]:
        return [parse_scope(v.strip(), "parent_ids") for v in raw.split(",") if v.strip()]

    return Param(
        "parent_ids",
        {"type": "string", "example": "license_group:3"},
        parse,
        f"A CSV of parent scope ids (each matches `{SCOPE_PATTERN}`).",
        echo=lambda refs: [f"{r.kind}:{r.key}" for r in refs],
    )


RESOURCE = Resource(
    kind=KIND,
    model=Scope,
    title="Scope",
    fields=(
        typed_by(
            "id",
            Scope.kind,
            Scope.id,
            {"type": "string", "pattern": r"^(?:brand|license(?:_group)?):\d+$"},
        ),
        column(Scope.kind, {"type": "string", "enum": list(SCOPE_KINDS)}, name="type"),
        column(Scope.name),
        scope(Scope.parent_id, name="parent_id"),
        column(Scope.depth, {"type": "integer", "minimum": 0}),
        timestamp(Scope.created_at),
        timestamp(Scope.updated_at),
    ),
    visible=visible_in_reach("license:read", Scope.id),
    order_fields={},
    filters=(
        column_in(csv_param("types", "A CSV of scope types.", enum=SCOPE_KINDS), Scope.kind),
        ListFilter((_parent_param(),), _parents),
        ListFilter((text_param("search", "Search scopes by name."),), _search),
        date_range("created_at", Scope.created_at),
    ),
)
