"""Installing the face: everything is compiled once here, nothing per request."""

from __future__ import annotations

import time
from dataclasses import dataclass

from fastapi import FastAPI
from sqlalchemy import ColumnElement, false
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from tenantry import __version__
from tenantry.core.auth import require
from tenantry.core.db import ping
from tenantry.core.identity.permissions import catalogue
from tenantry.core.platform import Platform, get_platform
from tenantry.core.resources.sql import StatementTexts
from tenantry.core.spec import CachedOpenAPI, SpecEntry, openapi_routes
from tenantry.perscom import newsfeed
from tenantry.perscom.activity.endpoints import activity_routes
from tenantry.perscom.activity.recorder import ApiLogMiddleware
from tenantry.perscom.activity.writer import ActivityWriter
from tenantry.perscom.apikeys import SigningKeys, TokenReader, permissions
from tenantry.perscom.audit_log import audit_routes
from tenantry.perscom.engine import deferred, includes, rowsets
from tenantry.perscom.engine.actions import Actions
from tenantry.perscom.engine.context import FORBIDDEN, Call
from tenantry.perscom.engine.routes import Operation, build_root, operations
from tenantry.perscom.engine.runtime import Registry
from tenantry.perscom.engine.serialize import respond
from tenantry.perscom.errors import render_error
from tenantry.perscom.gate import Gate
from tenantry.perscom.limits import PerscomSettings
from tenantry.perscom.middleware import VERSIONS, PerscomMiddleware, edge_headers
from tenantry.perscom.newsfeed import newsfeed_routes
from tenantry.perscom.resources import DECLARATIONS
from tenantry.perscom.roster import roster_routes
from tenantry.perscom.settings import settings_routes
from tenantry.perscom.spec import build_spec
from tenantry.perscom.webhooks.endpoints import webhook_routes
from tenantry.perscom.widgets import widget_routes

TITLE = "PERSCOM.io API"


@dataclass
class PerscomRuntime:
    """What the installed face holds: hung on ``app.state.perscom``."""

    registry: Registry
    keys: SigningKeys
    gate: Gate
    actions: Actions
    operations: list[Operation]
    specs: dict[str, CachedOpenAPI]
    activity: ActivityWriter


def install(
    app: FastAPI, platform: Platform, *, key_rate: str | None = None, ip_rate: str | None = None
) -> PerscomRuntime:
    catalogue.register(permissions())
    registry = Registry(DECLARATIONS)
    dialect = "sqlite" if platform.settings.is_sqlite else "postgresql"
    relation_statements = [
        *includes.prepare(registry, dialect),
        *rowsets.prepare(registry),
        *deferred.prepare(registry, dialect),
        *newsfeed.prepare(dialect),
    ]
    keys = SigningKeys.load(platform.settings)
    configured = PerscomSettings()
    gate = Gate(
        platform,
        registry,
        TokenReader(keys),
        key_rate=key_rate or configured.key_rate,
        ip_rate=ip_rate or configured.ip_rate,
    )
    if dialect == "postgresql":
        prepared = [
            statement
            for resource in registry
            for statement in (
                resource.page_statement.shallow,
                resource.page_statement.deep,
                resource.count_statement,
                resource.show_statement,
                resource.exists_statement,
            )
        ]
        gate.prepare_reads(
            StatementTexts(platform.engine.dialect), [*prepared, *relation_statements]
        )
    actions = Actions(registry, gate.open)
    found = operations(registry)
    writer = ActivityWriter(platform.sessions, retention_days=configured.activity_retention_days)
    platform.closing.append(writer.close)
    extra = {
        "me": me_routes(actions, registry),
        "cache": cache_routes(gate),
        "settings": settings_routes(gate.open),
        "webhooks": webhook_routes(
            gate.open, allow_private=platform.settings.allow_private_webhooks
        ),
        "activity": activity_routes(gate.open, writer),
        "audit-log": audit_routes(gate.open),
        "newsfeed": newsfeed_routes(gate.open),
        "roster": roster_routes(registry, gate.open),
        "widgets": widget_routes(registry, actions, gate.open),
    }
    root = build_root(actions, found, extra)
    specs: dict[str, CachedOpenAPI] = {}
    for version in VERSIONS:
        # Built on first request, not here: rendering ~300 operations as YAML takes seconds.
        spec = CachedOpenAPI(_spec_builder(registry, found, version, platform.settings.base_url))
        specs[version] = spec
        app.router.routes.extend(
            openapi_routes(spec, f"/{version}/spec.json", f"/{version}/spec.yaml")
        )
        app.mount(f"/{version}", root)
        platform.error_renderers.register(f"/{version}", render_error)
        platform.error_renderers.register_edge_headers(f"/{version}", edge_headers)
        platform.specs.append(
            SpecEntry(
                title=f"{TITLE} ({version})",
                json_url=f"/{version}/spec.json",
                yaml_url=f"/{version}/spec.yaml",
                version=version,
            )
        )
    _install_oauth(app, platform, keys, gate.reader)
    app.add_middleware(PerscomMiddleware)
    if configured.api_log:
        app.add_middleware(ApiLogMiddleware, writer=writer)
    app.router.routes.append(Route("/health", health, methods=["GET"], include_in_schema=False))
    runtime = PerscomRuntime(registry, keys, gate, actions, found, specs, writer)
    app.state.perscom = runtime
    return runtime


def _install_oauth(
    app: FastAPI, platform: Platform, keys: SigningKeys, reader: TokenReader
) -> None:
    """The OAuth 2.0 / OpenID Connect routes on top of the shared sign-in pages."""
    from tenantry.core.oauth.errors import render_token_error
    from tenantry.perscom.apikeys import ApiKeyIssuer
    from tenantry.perscom.oauth import endpoints, pages
    from tenantry.perscom.oauth.clients import client_secret_box
    from tenantry.web.face import ensure_installed
    from tenantry.web.templating import render_error_page

    ui = ensure_installed(app, platform)
    ui.add_templates(pages.TEMPLATES)
    if pages.SETTINGS_LINK not in ui.settings_links:
        ui.settings_links.append(pages.SETTINGS_LINK)
    app.include_router(pages.router)
    runtime = endpoints.OAuthRuntime(
        client_secret_box(platform.settings), ApiKeyIssuer(keys, platform.settings), reader
    )
    endpoints.install_routes(app, runtime)
    for path in (endpoints.TOKEN_PATH, endpoints.REVOKE_PATH, endpoints.USERINFO_PATH):
        platform.error_renderers.register(path, render_token_error)
    platform.error_renderers.register(endpoints.AUTHORIZE_PATH, render_error_page)


def _spec_builder(registry: Registry, found: list[Operation], version: str, base_url: str):  # type: ignore[no-untyped-def]
    def build() -> dict[str, object]:
        return build_spec(
            registry, found, version=version, app_version=__version__, server=base_url
        )

    return build


def cache_routes(gate: Gate) -> list[BaseRoute]:
    """``POST /cache`` (``clear:cache``): ``{"status": "okay"}``. Tenantry caches no API
    responses (every read sees the last write), so there is nothing stale to purge."""

    async def clear(request: Request) -> Response:
        async with gate.open(request, writing=False) as call:
            require(call.principal, "clear:cache", FORBIDDEN)
        return respond({"status": "okay"})

    return [Route("/cache", clear, methods=["POST"], include_in_schema=False)]


async def health(request: Request) -> Response:
    """Unversioned ``GET /health`` without auth: laravel-health's result list, one check
    (the database); 503 when it fails."""
    platform = get_platform(request)
    try:
        await ping(platform.engine)
        status, summary = "ok", "Ok"
    except Exception:  # any failure to reach the database is a failed check
        status, summary = "failed", "Failed"
    check: dict[str, object] = {
        "name": "Database",
        "label": "Database",
        "notificationMessage": "" if status == "ok" else "The database does not answer.",
        "shortSummary": summary,
        "status": status,
        "meta": [],
    }
    body = {"data": {"finishedAt": int(time.time()), "checkResults": [check]}}
    return respond(body, 200 if status == "ok" else 503)


def me_routes(actions: Actions, registry: Registry) -> list[BaseRoute]:
    """``GET /me``: the caller's own user as a one-row list; no scope, no includes (§7.2)."""
    users = registry.get("users")

    def mine(call: Call) -> ColumnElement[bool]:
        user_id = call.principal.user_id
        return users.id_col == user_id if user_id is not None else false()

    async def me(request: Request) -> Response:
        return await actions.listing(request, users, mine, includes_allowed=False)

    return [Route("/me", me, methods=["GET"], include_in_schema=False)]


def runtime_of(app: FastAPI) -> PerscomRuntime:
    runtime = getattr(app.state, "perscom", None)
    if not isinstance(runtime, PerscomRuntime):
        raise RuntimeError("the PERSCOM face is not installed on this app")
    return runtime
