"""Scope rules: add, create and change license groups, licenses and brands.

The seed uses scope ids everywhere but has no endpoint that manages them; these do, over the
core scope tree. The account itself (``account:<tenant id>``) is the root and has no row.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from tenantry.core import scopes
from tenantry.core.errors import FieldError, ValidationFailed
from tenantry.core.scopes import Scope
from tenantry.percolate.api.context import V5Context, forbidden
from tenantry.percolate.api.ids import SCOPE_KINDS, invalid, parse_scope
from tenantry.percolate.scope.bodies import ScopeCreate, ScopeUpdate


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


async def create_scope(ctx: V5Context, body: ScopeCreate) -> int:
    parent_id: int | None = None
    if body.parent_id is not None:
        parent_id = await ctx.scope_of(parse_scope(body.parent_id, "parent_id"), "parent_id")
    await ctx.require("license:update", parent_id, "parent_id", body.parent_id)
    scope = await add_scope(
        ctx.session, ctx.tenant_id, kind=body.type, name=body.name, parent=body.parent_id
    )
    return scope.id


async def update_scope(ctx: V5Context, key: int, body: ScopeUpdate) -> None:
    scope = await ctx.session.get(Scope, (ctx.tenant_id, key))
    if scope is None or not await ctx.can("license:update", scope.id):
        raise forbidden("scope_id", f"scope:{key}", "scope")
    scope.name = body.name.strip() or scope.name
    await ctx.session.flush()
