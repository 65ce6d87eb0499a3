"""What a post refers to (its terms, the assets its ``ext`` names, its origins), kept as
rows of ``percolate_post_refs`` so the ``term_ids``/``asset_ids``/``origin_ids`` list
filters are one index lookup among a million posts rather than a scan of JSON columns.

:func:`sync_post_refs` runs in the transaction of every write of a post (create, copy,
update) and rewrites only the rows that changed; deleting the post cascades to its rows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

import orjson
from sqlalchemy import ColumnElement, and_, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from tenantry.core.resources.scoped import of_tenant
from tenantry.percolate.post.models import Post, PostRef

__all__ = [
    "ASSET_FILTER_PATTERN",
    "asset_ids",
    "asset_ref",
    "origin_ref",
    "refers_to_any",
    "strings_in",
    "sync_post_refs",
]

ASSET_FILTER_PATTERN = r"^(asset:[a-zA-Z0-9]+|license:\d+:image:\d+)$"
"""The seed's ``asset_ids`` pattern (its alternation anchored as a whole)."""
_ASSET = re.compile(r"^asset:\d{1,18}$")
_LEGACY_IMAGE = re.compile(r"^license:\d+:image:(\d{1,18})$")


def strings_in(value: Any) -> Iterator[str]:
    """Every string inside a JSON value, in document order. It runs for every post of every
    page (``asset_ids``), so it walks a stack of iterators rather than nesting generators."""
    stack: list[Iterator[Any]] = [iter((value,))]
    while stack:
        for item in stack[-1]:
            if isinstance(item, str):
                yield item
            elif isinstance(item, dict):
                stack.append(iter(item.values()))
                break
            elif isinstance(item, list):
                stack.append(iter(item))
                break
        else:
            stack.pop()


def asset_ids(ext: dict[str, Any]) -> list[str]:
    """The assets a post's content names (its ``asset_ids``), sorted and distinct.

    Most posts name none; their JSON then holds no ``"asset:`` (a string that starts with
    it is written so: those characters are never escaped), which the encoder finds in C
    faster than a walk of the values in Python (content orjson cannot write, integers past
    64 bits, is walked)."""
    try:
        if b'"asset:' not in orjson.dumps(ext):
            return []
    except orjson.JSONEncodeError:
        pass
    return sorted({s for s in strings_in(ext) if s.startswith("asset:") and _ASSET.match(s)})


def asset_ref(wire: str) -> str:
    """The stored form of an asset id: ``asset:<n>`` without leading zeros; a legacy image
    id ``license:<l>:image:<n>`` names the same key (one key space for assets and images);
    a non-numeric id stays as given and so matches nothing."""
    legacy = _LEGACY_IMAGE.match(wire)
    if legacy is not None:
        return f"asset:{int(legacy.group(1))}"
    head, _, tail = wire.partition(":")
    return f"asset:{int(tail)}" if head == "asset" and tail.isdigit() and len(tail) <= 18 else wire


def origin_ref(wire: str) -> str:
    """``brief:007`` is ``brief:7``."""
    head, _, tail = wire.partition(":")
    return f"{head}:{int(tail)}" if tail.isdigit() and len(tail) <= 18 else wire


def _refs_of(
    term_ids: Iterable[int], ext: dict[str, Any], origin_ids: Iterable[str]
) -> set[tuple[str, str]]:
    refs = {("term", f"term:{key}") for key in term_ids}
    refs.update(("asset", asset_ref(wire)) for wire in asset_ids(ext))
    refs.update(("origin", origin_ref(wire)) for wire in origin_ids)
    return refs


async def sync_post_refs(session: AsyncSession, tenant_id: int, post_id: int) -> None:
    """Make the post's ref rows match its stored columns (call after writing the post)."""
    row = (
        await session.execute(
            select(Post.term_ids, Post.ext, Post.origin_ids).where(
                of_tenant(Post, tenant_id), Post.id == post_id
            )
        )
    ).one()
    wanted = _refs_of(row.term_ids or [], row.ext or {}, row.origin_ids or [])
    held = {
        (kind, ref)
        for kind, ref in await session.execute(
            select(PostRef.kind, PostRef.ref).where(
                of_tenant(PostRef, tenant_id), PostRef.post_id == post_id
            )
        )
    }
    stale: dict[str, list[str]] = {}
    for kind, ref in held - wanted:
        stale.setdefault(kind, []).append(ref)
    for kind, refs in sorted(stale.items()):
        await session.execute(
            delete(PostRef)
            .where(
                of_tenant(PostRef, tenant_id),
                PostRef.post_id == post_id,
                PostRef.kind == kind,
                PostRef.ref.in_(refs),
            )
            .execution_options(synchronize_session=False)
        )
    added = sorted(wanted - held)
    if added:
        await session.execute(
            insert(PostRef),
            [
                {"tenant_id": tenant_id, "post_id": post_id, "kind": kind, "ref": ref}
                for kind, ref in added
            ],
        )


def refers_to_any(tenant_id: int, kind: str, refs: list[str]) -> ColumnElement[bool]:
    """Posts with a ref of ``kind`` among ``refs`` (an ``IN`` over the lookup index)."""
    found = select(PostRef.post_id).where(
        and_(of_tenant(PostRef, tenant_id), PostRef.kind == kind, PostRef.ref.in_(refs))
    )
    return Post.id.in_(found)
