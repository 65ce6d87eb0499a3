"""``/api/v5/scope/``: license groups, licenses and brands of the account (Tenantry addition).

The seed uses scope ids everywhere but has no endpoint that manages them; these do, over the
core scope tree. The account itself (``account:<tenant id>``) is the root and has no row.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ColumnElement, false, or_
from sqlalchemy.ext.asyncio import AsyncSession

from tenantry.core import scopes
from tenantry.core.errors import FieldError, ValidationFailed
from tenantry.core.scopes import Scope
from tenantry.percolate.api.common import visible_in_reach
from tenantry.percolate.api.context import V5Context, forbidden
from tenantry.percolate.api.fields import column, scope, timestamp, typed_by
from tenantry.percolate.api.ids import (
    SCOPE_KINDS,
    SCOPE_PATTERN,
    IdKind,
    invalid,
    parse_scope,
)
from tenantry.percolate.api.params import Param, csv_param, text_param
from tenantry.percolate.api.resource import ListFilter, Resource, column_in, date_range
from tenantry.percolate.api.routes import Create, Update, resource_router

__all__ = ["RESOURCE", "add_scope", "router"]

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


class ScopeCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: ScopeKind = Field(description="license_group, license or brand.")
    name: str = Field(min_length=1, max_length=200)
    parent_id: str | None = Field(
        default=None, pattern=SCOPE_PATTERN, description="The parent scope (default: the account)."
    )


class ScopeUpdate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str = Field(min_length=1, max_length=200)


async def add_scope(
    session: AsyncSession, tenant_id: int, *, kind: str, name: str, parent: str | None = None
) -> Scope:
    """The rule behind POST and ``tenantry scope create``: a known kind under a scope of this
    account (``None`` or ``account:<tenant>``: directly under the account)."""
    if kind not in SCOPE_KINDS:
        raise invalid("type", "type is license_group, license or brand.", kind)
    parent_id: int | None = None
    if parent is not None:
        ref = parse_scope(parent, "parent_id")
        if ref.kind == "account" and ref.key == tenant_id:
            parent_id = None
        elif ref.kind in SCOPE_KINDS and ref.key is not None:
            row = await session.get(Scope, (tenant_id, ref.key))
            if row is None or row.kind != ref.kind:
                raise forbidden("parent_id", parent, "scope")
            parent_id = row.id
        else:
            raise forbidden("parent_id", parent, "scope")
    try:
        return await scopes.create_scope(session, kind=kind, name=name, parent_id=parent_id)
    except ValidationFailed as exc:
        raise ValidationFailed(
            exc.message, [FieldError(e.key, e.message, e.value) for e in exc.errors]
        ) from None


async def _create(ctx: V5Context, body: ScopeCreate) -> int:
    parent_id: int | None = None
    if body.parent_id is not None:
        parent_id = await ctx.scope_of(parse_scope(body.parent_id, "parent_id"), "parent_id")
    await ctx.require("license:update", parent_id, "parent_id", body.parent_id)
    scope = await add_scope(
        ctx.session, ctx.tenant_id, kind=body.type, name=body.name, parent=body.parent_id
    )
    return scope.id


async def _update(ctx: V5Context, key: int, body: ScopeUpdate) -> None:
    scope = await ctx.session.get(Scope, (ctx.tenant_id, key))
    if scope is None or not await ctx.can("license:update", scope.id):
        raise forbidden("scope_id", f"scope:{key}", "scope")
    scope.name = body.name.strip() or scope.name
    await ctx.session.flush()


router = resource_router(
    RESOURCE,
    create=Create(ScopeCreate, _create, "Create a license group, license or brand."),
    update=Update(ScopeUpdate, _update, "Rename a scope."),
    list_description="License groups, licenses and brands of the account (Tenantry addition).",
)
