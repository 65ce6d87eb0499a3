"""Term rules: create, rename and move terms in their taxonomy tree.

A term's ``path`` lists its ancestors root first, so a subtree is a prefix, ``depth`` levels
below a parent is a range, and a move that would make a term its own ancestor is refused
before anything is written. Names are unique among siblings (409).
"""

from __future__ import annotations

from sqlalchemy import String, func, literal, select, update

from tenantry.core.errors import Conflict, FieldError
from tenantry.core.resources.scoped import of_tenant
from tenantry.percolate.api.context import V5Context, forbidden
from tenantry.percolate.api.ids import invalid, parse_scope
from tenantry.percolate.term.bodies import TermCreate, TermUpdate
from tenantry.percolate.term.declaration import KIND, ancestors
from tenantry.percolate.term.models import Term


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


async def create_term(ctx: V5Context, body: TermCreate) -> int:
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


async def update_term(ctx: V5Context, key: int, body: TermUpdate) -> None:
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
