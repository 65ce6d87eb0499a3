"""The tenant admin console under ``/console/``: server-rendered pages for an organisation's
admins (API keys, OAuth clients, webhooks, users and roles, the organisation's name, the audit log).

Each page family is one module; every write goes through the same service functions the
APIs and the CLI call. The console is a face of its own (:mod:`tenantry.console.face`),
standing on the shared web pages and on both API faces' services, so the shared web package
never imports a face. The only script is ``/web/console.js`` (copy buttons), allowed by the
console's own CSP; every page works without it.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from fastapi import APIRouter
from starlette.responses import Response

from tenantry.console import (
    api_keys,
    audit,
    invitation,
    oauth_clients,
    organization,
    percolate_client,
    percolate_webhooks,
    perscom_client,
    users,
    webhooks,
)
from tenantry.console.access import admin_of
from tenantry.console.layout import render
from tenantry.web.templating import PageDep

SCRIPT = Path(__file__).resolve().parents[1] / "web" / "static" / "console.js"
SCRIPT_PATH = "/web/console.js"
PREFIXES = ("/console", invitation.PATH)
"""Paths whose errors are shown as HTML pages."""

router = APIRouter(include_in_schema=False)

__all__ = ["PREFIXES", "router"]


@cache
def _script() -> bytes:
    return SCRIPT.read_bytes()


@router.get(SCRIPT_PATH)
async def script() -> Response:
    return Response(
        _script(),
        media_type="text/javascript",
        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


@router.get("/console")
@router.get("/console/")
async def index(page: PageDep) -> Response:
    admin = await admin_of(page)
    if isinstance(admin, Response):
        return admin
    return render(page, "console/index.html", section="/console/")


for module in (
    api_keys,
    oauth_clients,
    perscom_client,
    percolate_client,
    webhooks,
    percolate_webhooks,
    users,
    organization,
    invitation,
    audit,
):
    router.include_router(module.router)
