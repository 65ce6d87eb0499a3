"""The links plugin, self-hosted (reference §3.12): URLs in a post's text get short URLs that
Tenantry itself serves (``/l/<code>``, see :mod:`.link_redirect`), with per-link clicks that
``/api/v5/link/`` reads (a Tenantry addition; no third-party shortener).

When a post is written, every links-plugin entry with ``shorten: true`` gets a short link of
the post: the one it already has for the same URL and tracking choice, or a new one. The
entry's read-only ``short_url`` and ``tracking_url`` are always written here, whatever the
client sent. ``track: true`` sends visitors to ``tracking_url``: the URL plus a unique random
``__prclt`` parameter (tracking tags add nothing yet: Tenantry has no tracking-tag objects
that would say which parameters they stand for). A post's ``link_ids`` are the links its
current text uses; links dropped from the text keep redirecting and counting.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from tenantry.core.errors import Conflict
from tenantry.core.resources.scoped import of_tenant
from tenantry.percolate.api.context import V5Context
from tenantry.percolate.api.resource import Enricher, Row
from tenantry.percolate.link.declaration import REDIRECT_PATH, short_url
from tenantry.percolate.link.models import ShortLink, ShortLinkCode
from tenantry.percolate.post.models import Post
from tenantry.percolate.schema import service as schema_rules
from tenantry.percolate.schema.models import SchemaVersion

TRACKING_PARAMETER = "__prclt"
CODE_BYTES = 6
"""8 URL-safe characters: 48 random bits, so guessing one live code among a billion takes
some 280,000 tries on average (and the redirect is rate-limited per address)."""
CODE_ATTEMPTS = 5

LinkIdentity = tuple[str, bool, tuple[int, ...]]
"""What makes two entries the same short link of a post: URL, tracked, tracking tags."""


def new_code() -> str:
    """A fresh random code (its uniqueness across tenants is the code directory's key)."""
    return secrets.token_urlsafe(CODE_BYTES)


def tracking_url(url: str) -> str:
    """``url`` with a unique random ``__prclt`` parameter (query kept, fragment kept last)."""
    parts = urlsplit(url)
    marker = f"{TRACKING_PARAMETER}={secrets.token_hex(6)}"
    return urlunsplit(parts._replace(query=f"{parts.query}&{marker}" if parts.query else marker))


def _tag_keys(wires: Sequence[str]) -> tuple[int, ...]:
    return tuple(sorted({int(wire.partition(":")[2]) for wire in wires}))


def _identity(url: str, track: bool, tags: Sequence[int]) -> LinkIdentity:
    return (url, track, tuple(sorted(set(tags))) if track else ())


async def _new_link(
    ctx: V5Context, post_id: int, scope_id: int | None, identity: LinkIdentity
) -> ShortLink:
    """A link with a code no tenant holds yet (a collision retries with another code)."""
    url, track, tags = identity
    for _attempt in range(CODE_ATTEMPTS):
        code = new_code()
        link = ShortLink(
            tenant_id=ctx.tenant_id,
            post_id=post_id,
            scope_id=scope_id,
            code=code,
            url=url,
            tracking_url=tracking_url(url) if track else "",
            tracking_tag_ids=list(tags),
            clicks=0,
        )
        try:
            async with ctx.session.begin_nested():
                ctx.session.add(link)
                await ctx.session.flush()
                ctx.session.add(ShortLinkCode(code=code, tenant_id=ctx.tenant_id, link_id=link.id))
                await ctx.session.flush()
        except IntegrityError:
            continue
        return link
    raise Conflict("No free short code was found; send the request again.")


def _links_keys(version: SchemaVersion) -> list[str]:
    definition = schema_rules.compiled(version).definition
    return [plugin.key for plugin in definition.plugins if plugin.type == "links"]


async def shorten(
    ctx: V5Context,
    post_id: int,
    scope_id: int | None,
    version: SchemaVersion,
    ext: dict[str, Any],
) -> dict[str, Any]:
    """``ext`` (already valid for ``version``) with every links-plugin entry's ``short_url``
    and ``tracking_url`` written by the server, creating the short links it needs."""
    lists = {key: ext[key] for key in _links_keys(version) if isinstance(ext.get(key), list)}
    if not lists:
        return ext
    known: dict[LinkIdentity, ShortLink] = {}
    owned = await ctx.session.scalars(
        select(ShortLink)
        .where(of_tenant(ShortLink, ctx.tenant_id), ShortLink.post_id == post_id)
        .order_by(ShortLink.id)
    )
    for link in owned:
        known.setdefault(_identity(link.url, bool(link.tracking_url), link.tracking_tag_ids), link)
    base = ctx.platform.settings.base_url
    result = dict(ext)
    for key, entries in lists.items():
        written: list[dict[str, Any]] = []
        for entry in entries:
            item = {
                **entry,
                "shorten": bool(entry.get("shorten")),
                "track": bool(entry.get("track")),
                "tracking_tag_ids": list(entry.get("tracking_tag_ids") or []),
                "short_url": "",
                "tracking_url": "",
            }
            if item["shorten"]:
                identity = _identity(
                    item["url"], item["track"], _tag_keys(item["tracking_tag_ids"])
                )
                if identity not in known:
                    known[identity] = await _new_link(ctx, post_id, scope_id, identity)
                link = known[identity]
                item["short_url"] = short_url(base, link.code)
                item["tracking_url"] = link.tracking_url
            written.append(item)
        result[key] = written
    return result


async def shorten_new_post(ctx: V5Context, post: Post, version: SchemaVersion) -> None:
    """:func:`shorten` for a post just inserted (its links need its id)."""
    shortened = await shorten(ctx, post.id, post.scope_id, version, post.ext)
    if shortened is not post.ext:
        post.ext = shortened
        await ctx.session.flush()


def _codes_in(ext: dict[str, Any] | None) -> list[str]:
    """Codes of the short URLs in ``ext``'s plugin entries, in order of appearance."""
    codes: list[str] = []
    for value in (ext or {}).values():
        for item in value if isinstance(value, list) else []:
            found = item.get("short_url") if isinstance(item, dict) else None
            if isinstance(found, str) and REDIRECT_PATH in found:
                codes.append(found.rpartition(REDIRECT_PATH)[2])
    return codes


async def post_link_ids(ctx: V5Context, rows: Sequence[Row]) -> dict[int, dict[str, Any]]:
    """``link_ids`` of a page of posts: the links their current text uses (one query)."""
    wanted = {row["id"]: _codes_in(row["ext"]) for row in rows}
    codes = {code for found in wanted.values() for code in found}
    if not codes:
        return {}
    found = await ctx.db.rows(
        select(ShortLink.post_id, ShortLink.code, ShortLink.id).where(
            of_tenant(ShortLink, ctx.tenant_id),
            ShortLink.post_id.in_([key for key, found in wanted.items() if found]),
            ShortLink.code.in_(sorted(codes)),
        )
    )
    by_code = {(post_id, code): key for post_id, code, key in found}
    result: dict[int, dict[str, Any]] = {}
    for post_id, post_codes in wanted.items():
        keys = [by_code[(post_id, c)] for c in post_codes if (post_id, c) in by_code]
        result[post_id] = {"link_ids": [f"link:{key}" for key in dict.fromkeys(keys)]}
    return result


def with_link_ids(enrich: Enricher | None = None) -> Enricher:
    """The post resource's page enricher: ``enrich``'s fields plus :func:`post_link_ids`."""

    async def enriched(ctx: V5Context, rows: Sequence[Row]) -> dict[int, dict[str, Any]]:
        extra = await enrich(ctx, rows) if enrich is not None else {}
        for key, fields in (await post_link_ids(ctx, rows)).items():
            extra.setdefault(key, {}).update(fields)
        return extra

    return enriched
