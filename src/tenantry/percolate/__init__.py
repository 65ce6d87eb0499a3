"""The Percolate v5 face (+ v3 media): OAuth 2.0 server, bearer auth, ``/api/v5`` routes.

``install`` mounts the OAuth endpoints, the settings pages (on top of the web face, which it
installs when missing), ``/api/v5/me``, registers Percolate's error renderer for ``/api/v5``
and ``/api/v3``, and the capabilities it checks.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

    from tenantry.core.platform import Platform

API_PREFIXES = ("/api/v5", "/api/v3")
TOKEN_PREFIX = "/auth/v5"
AUTHORIZE_PREFIX = "/auth/oauth2"
TEMPLATES = Path(__file__).resolve().parent / "templates"

__all__ = ["PercolateFace", "face"]


class PercolateFace:
    name = "percolate"
    job_modules = ("tenantry.percolate.v5.content.publisher",)
    """Imported by every worker: the publish job and its delivery hooks."""

    def install(self, app: FastAPI, platform: Platform) -> None:
        # Imported here so that importing the package for its models (the model registry,
        # Alembic) does not pull in the web stack.
        from tenantry.core.identity.permissions import catalogue
        from tenantry.percolate import pages, users
        from tenantry.percolate.errors import render_percolate_error
        from tenantry.percolate.oauth2 import endpoints
        from tenantry.percolate.oauth2.errors import render_token_error
        from tenantry.percolate.permissions import PERMISSIONS
        from tenantry.web.face import ensure_installed
        from tenantry.web.templating import render_error_page

        catalogue.register(PERMISSIONS)
        ui = ensure_installed(app, platform)
        ui.add_templates(TEMPLATES)
        for link in pages.SETTINGS_LINKS:
            if link not in ui.settings_links:
                ui.settings_links.append(link)
        app.include_router(endpoints.router)
        app.include_router(pages.router)
        app.include_router(users.router)
        for prefix in API_PREFIXES:
            platform.error_renderers.register(prefix, render_percolate_error)
        platform.error_renderers.register(TOKEN_PREFIX, render_token_error)
        platform.error_renderers.register(AUTHORIZE_PREFIX, render_error_page)

        from tenantry.percolate.v5 import install_v5
        from tenantry.percolate.v5.content import install_content
        from tenantry.web.reset_password import install_reset_page

        install_v5(app, platform)
        install_content(app, platform)
        install_reset_page(app, platform)


face = PercolateFace()
