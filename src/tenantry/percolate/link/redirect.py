"""``/l/<code>``: where a short link sends its visitors, counting each GET as a click.

The path names no tenant, so the global code directory says whose link a code is; the click
is then one conditional ``UPDATE … SET clicks = clicks + 1`` in that tenant's transaction
(row-level security applies), atomic under concurrent visitors. No authentication: anyone
holding the short URL may follow it. HEAD answers the same redirect without counting (link
checkers and previewers are not clicks). Each address may follow 300 links a minute; past
that a 429 says when to come back. Answers are never cached, so every click reaches us.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from fastapi import APIRouter
from sqlalchemy import select, update
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from tenantry.core.platform import PlatformDep
from tenantry.core.ratelimit import retry_after_headers
from tenantry.core.resources.scoped import of_tenant
from tenantry.core.tenancy import enter_tenant
from tenantry.percolate.link.declaration import REDIRECT_PATH
from tenantry.percolate.link.models import ShortLink, ShortLinkCode

__all__ = ["RATE", "router"]

RATE = "300/minute"
_CODE = re.compile(r"^[A-Za-z0-9_-]{1,16}$")
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}

router = APIRouter()


def _not_found() -> Response:
    return PlainTextResponse("Not found.\n", status_code=404, headers=NO_STORE)


async def follow(request: Request, code: str, platform: PlatformDep) -> Response:
    """302 to the link's target; 404 for a code nobody holds."""
    host = request.client.host if request.client is not None else "unknown"
    limited = await platform.limiter.hit(RATE, "short-link", host)
    if not limited.allowed:
        return PlainTextResponse(
            "Too many requests.\n", status_code=429, headers=retry_after_headers(limited)
        )
    if not _CODE.match(code):
        return _not_found()
    counting = request.method == "GET"
    async with platform.sessions() as session, session.begin():
        owner = (
            await session.execute(
                select(ShortLinkCode.tenant_id, ShortLinkCode.link_id).where(
                    ShortLinkCode.code == code
                )
            )
        ).first()
        if owner is None:
            return _not_found()
        tenant_id, link_id = owner
        await enter_tenant(session, tenant_id)
        where = (of_tenant(ShortLink, tenant_id), ShortLink.id == link_id)
        target = (
            await session.execute(
                update(ShortLink)
                .where(*where)
                .values(clicks=ShortLink.clicks + 1)
                .returning(ShortLink.url, ShortLink.tracking_url)
                .execution_options(synchronize_session=False)
                if counting
                else select(ShortLink.url, ShortLink.tracking_url).where(*where)
            )
        ).first()
    if target is None:
        return _not_found()
    url, tracked = target
    destination = tracked or url
    if urlsplit(destination).scheme not in {"http", "https"}:
        return _not_found()
    return RedirectResponse(destination, status_code=302, headers=NO_STORE)


router.add_api_route(
    REDIRECT_PATH + "{code}",
    follow,
    methods=["GET", "HEAD"],
    include_in_schema=False,
    name="percolate.short_link",
)
