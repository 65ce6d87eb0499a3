"""Walking a library tree: ancestors (``path_ids``) and whole subtrees, level by level.

One ``IN`` query per level on the ``(tenant_id, parent_id)`` index, on the unit's runner, so
it works on both engines and on the read-only fast path alike; a library is a few levels deep.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from tenantry.core.resources.scoped import of_tenant
from tenantry.percolate.api.context import V5Context
from tenantry.percolate.folder.models import Folder

MAX_DEPTH = 64
"""Deeper than any library; bounds a walk even if a cycle were ever written."""


async def parents_of(ctx: V5Context, keys: Iterable[int]) -> dict[int, int | None]:
    """``{folder: parent}`` for the folders and all their ancestors."""
    known: dict[int, int | None] = {}
    wanted = set(keys)
    for _ in range(MAX_DEPTH):
        wanted -= set(known)
        if not wanted:
            break
        rows = await ctx.db.rows(
            select(Folder.id, Folder.parent_id).where(
                of_tenant(Folder, ctx.tenant_id), Folder.id.in_(sorted(wanted))
            )
        )
        for key, parent in rows:
            known[key] = parent
        wanted = {parent for _, parent in rows if parent is not None} - set(known)
        if not rows:
            break
    return known


def path_of(key: int, parents: dict[int, int | None]) -> list[int]:
    """The ancestors of ``key``, root first (the root itself not included)."""
    path: list[int] = []
    current = parents.get(key)
    while current is not None and len(path) < MAX_DEPTH:
        path.append(current)
        current = parents.get(current)
    path.reverse()
    return path


async def descendants_of(
    ctx: V5Context, roots: Iterable[int], *, include_deleted: bool = False
) -> set[int]:
    """Every folder below ``roots`` (not the roots themselves); deleted ones only on request."""
    found: set[int] = set()
    level = set(roots)
    for _ in range(MAX_DEPTH):
        if not level:
            break
        stmt = select(Folder.id).where(
            of_tenant(Folder, ctx.tenant_id), Folder.parent_id.in_(sorted(level))
        )
        if not include_deleted:
            stmt = stmt.where(Folder.deleted.is_(False))
        level = {row[0] for row in await ctx.db.rows(stmt)} - found
        found |= level
    return found
