"""The Percolate v5 face (+ v3 media): OAuth 2.0 server, bearer auth, ``/api/v5`` routes.

``install`` mounts the OAuth endpoints, the settings pages (on top of the web face, which it
installs when missing), ``/api/v5/me``, registers Percolate's error renderer for ``/api/v5``
and ``/api/v3``, and the capabilities it checks. The face also brings its CLI commands
(``scope``, ``oauth-client``, ``token``, ``demo receiver``) and demo seeders.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from tenantry.core.face import Commands, DemoSeeder

if TYPE_CHECKING:
    from fastapi import APIRouter, FastAPI
    from pydantic_settings import BaseSettings

    from tenantry.core.platform import Platform
    from tenantry.percolate.api.runtime import PercolateRuntime

API_PREFIXES = ("/api/v5", "/api/v3")
TOKEN_PREFIX = "/auth/v5"
AUTHORIZE_PREFIX = "/auth/oauth2"
TEMPLATES = Path(__file__).resolve().parent / "templates"

__all__ = ["PercolateFace", "face"]


class PercolateFace:
    name = "percolate"
    job_modules: Sequence[str] = (
        "tenantry.percolate.post.publishing",
        "tenantry.percolate.upload.jobs",
        "tenantry.percolate.variant.jobs",
        "tenantry.percolate.role.user_role_import.jobs",
        "tenantry.percolate.export.jobs",
    )
    """Imported by every worker: the publish job and its delivery hooks, the library's jobs."""
    model_modules: Sequence[str] = ("tenantry.percolate.models",)

    def __init__(self, *, token_rate: str | None = None) -> None:
        self.token_rate = token_rate
        """Per-credential rate limit; ``None``: ``TENANTRY_PERCOLATE_TOKEN_RATE`` or 1000/minute."""

    def install(self, app: FastAPI, platform: Platform) -> PercolateRuntime:
        # Imported here so that importing the package for its models (the model registry,
        # Alembic) does not pull in the web stack.
        from tenantry import __version__
        from tenantry.core.identity.permissions import catalogue
        from tenantry.core.oauth.errors import render_token_error
        from tenantry.core.spec import CachedOpenAPI, SpecEntry, openapi_routes
        from tenantry.percolate.api import spec
        from tenantry.percolate.errors import render_percolate_error
        from tenantry.percolate.oauth import endpoints, pages, signin
        from tenantry.percolate.permissions import PERMISSIONS
        from tenantry.percolate.role.capabilities import PERMISSIONS as CAPABILITIES
        from tenantry.percolate.user import me
        from tenantry.percolate.user.reset_page import install_reset_page
        from tenantry.web.face import ensure_installed
        from tenantry.web.templating import render_error_page

        catalogue.register(PERMISSIONS)
        catalogue.register(CAPABILITIES)
        ui = ensure_installed(app, platform)
        ui.add_templates(TEMPLATES)
        for link in pages.SETTINGS_LINKS:
            if link not in ui.settings_links:
                ui.settings_links.append(link)
        app.include_router(endpoints.router)
        app.include_router(signin.router)
        app.include_router(pages.router)
        app.include_router(me.router)
        for prefix in API_PREFIXES:
            platform.error_renderers.register(prefix, render_percolate_error)
        platform.error_renderers.register(TOKEN_PREFIX, render_token_error)
        platform.error_renderers.register(AUTHORIZE_PREFIX, render_error_page)
        from tenantry.percolate.api.throttle import PercolateLimits

        runtime = _runtime(platform, self.token_rate or PercolateLimits().token_rate)
        app.state.percolate = runtime  # what RuntimeDep hands to each request
        for router in _routers():
            app.include_router(router)
        document = CachedOpenAPI(lambda: spec.build_spec(app))
        app.router.routes.extend(
            openapi_routes(document, spec.JSON_PATH, spec.YAML_PATH, name="percolate.spec")
        )
        platform.specs.append(
            SpecEntry(spec.TITLE, spec.JSON_PATH, spec.YAML_PATH, version=__version__)
        )
        install_reset_page(app, platform)
        return runtime

    def commands(self) -> Commands:
        from tenantry.percolate.demo.cli import demo_app
        from tenantry.percolate.export.cli import export_app
        from tenantry.percolate.oauth.cli import oauth_client_app, token_app
        from tenantry.percolate.scope.cli import scope_app

        groups = {
            "scope": scope_app,
            "oauth-client": oauth_client_app,
            "token": token_app,
            "export": export_app,
        }
        return Commands(groups=groups, demo=[demo_app])

    def demo_seeders(self) -> Sequence[DemoSeeder]:
        """The OAuth client and token, the organisation, content built on it, the library."""
        from tenantry.percolate.demo import content, library, oauth, organisation

        return [oauth.seed_demo, organisation.seed_demo, content.seed_demo, library.seed_demo]

    def settings_models(self) -> Sequence[type[BaseSettings]]:
        from tenantry.percolate.api.throttle import PercolateLimits

        return [PercolateLimits]


def _routers() -> list[APIRouter]:
    """Every domain's ``/api/v5`` router, in matching order (organisation, then content)."""
    from tenantry.percolate.asset import endpoints as asset
    from tenantry.percolate.audit import endpoints as audit_log
    from tenantry.percolate.channel import endpoints as channel
    from tenantry.percolate.comment import endpoints as comment
    from tenantry.percolate.export import endpoints as export
    from tenantry.percolate.folder import endpoints as folder
    from tenantry.percolate.license import endpoints as license
    from tenantry.percolate.link import endpoints as link
    from tenantry.percolate.link import redirect as link_redirect
    from tenantry.percolate.media import endpoints as media
    from tenantry.percolate.metadata import endpoints as metadata
    from tenantry.percolate.platform import endpoints as platforms
    from tenantry.percolate.post import approval, approval_feedback, publishing
    from tenantry.percolate.post import endpoints as post
    from tenantry.percolate.role import endpoints as role
    from tenantry.percolate.role.user_role import endpoints as user_role
    from tenantry.percolate.role.user_role_import import endpoints as user_role_import
    from tenantry.percolate.schema import endpoints as schema
    from tenantry.percolate.scope import endpoints as scope
    from tenantry.percolate.term import endpoints as term
    from tenantry.percolate.term import taxonomy
    from tenantry.percolate.upload import endpoints as upload
    from tenantry.percolate.user import endpoints as user
    from tenantry.percolate.variant import endpoints as variant
    from tenantry.percolate.webhook import endpoints as webhook
    from tenantry.percolate.webhook.post_webhook import endpoints as post_webhook

    organisation = (scope, license, user, role, user_role, platforms, channel, term, taxonomy)
    content = (schema, post, metadata, comment, webhook, post_webhook, publishing)
    extras = (approval, approval_feedback, link, link_redirect, audit_log)
    library = (folder, upload, asset, variant, media, user_role_import, export)
    routers = [module.router for module in (*organisation, *content, *extras, *library)]
    return [*routers, license.tenant_router]


def _runtime(platform: Platform, token_rate: str) -> PercolateRuntime:
    """The face's runtime with every declared resource and the account provisioners."""
    from tenantry.percolate.api.runtime import PercolateRuntime as Runtime
    from tenantry.percolate.asset.declaration import RESOURCE as ASSET
    from tenantry.percolate.channel.declaration import RESOURCE as CHANNEL
    from tenantry.percolate.comment.declaration import RESOURCE as COMMENT
    from tenantry.percolate.folder.declaration import RESOURCE as FOLDER
    from tenantry.percolate.license.declaration import RESOURCE as LICENSE
    from tenantry.percolate.link.declaration import RESOURCE as LINK
    from tenantry.percolate.metadata.declaration import RESOURCE as METADATA
    from tenantry.percolate.platform.declaration import RESOURCE as PLATFORM
    from tenantry.percolate.platform.service import ensure_native_platforms
    from tenantry.percolate.post.approval import RESOURCE as APPROVAL
    from tenantry.percolate.post.declaration import RESOURCE as POST
    from tenantry.percolate.role.declaration import RESOURCE as ROLE
    from tenantry.percolate.role.service import ensure_builtin_roles
    from tenantry.percolate.role.user_role.declaration import RESOURCE as USER_ROLE
    from tenantry.percolate.role.user_role_import.declaration import RESOURCE as USER_ROLE_IMPORT
    from tenantry.percolate.schema.declaration import RESOURCE as SCHEMA
    from tenantry.percolate.scope.declaration import RESOURCE as SCOPE
    from tenantry.percolate.term.declaration import RESOURCE as TERM
    from tenantry.percolate.term.taxonomy import RESOURCE as TAXONOMY
    from tenantry.percolate.upload.declaration import RESOURCE as UPLOAD
    from tenantry.percolate.user.declaration import RESOURCE as USER
    from tenantry.percolate.variant.declaration import RESOURCE as VARIANT
    from tenantry.percolate.webhook.declaration import RESOURCE as WEBHOOK

    organisation = (SCOPE, LICENSE, USER, ROLE, USER_ROLE, PLATFORM, CHANNEL, TERM, TAXONOMY)
    content = (SCHEMA, POST, METADATA, COMMENT, WEBHOOK, APPROVAL, LINK)
    library = (FOLDER, UPLOAD, ASSET, VARIANT, USER_ROLE_IMPORT)
    return Runtime.build(
        platform,
        (*organisation, *content, *library),
        provisioners=(ensure_builtin_roles, ensure_native_platforms),
        token_rate=token_rate,
    )


face = PercolateFace()
