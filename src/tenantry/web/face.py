"""The web pages as an installable face: sign-in, two-factor and the settings shell.

Other faces add their own settings sections (``ui.settings_links``) and templates
(``ui.add_templates``) on top; :func:`ensure_installed` lets them depend on this face
without caring about the order faces are listed in. The pages are imported on install, so
listing the faces (``tenantry.faces``) stays light.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from tenantry.core.face import Commands, DemoSeeder

if TYPE_CHECKING:
    from fastapi import FastAPI
    from pydantic_settings import BaseSettings

    from tenantry.core.platform import Platform
    from tenantry.web.signin import SignInLimits
    from tenantry.web.templating import WebUI

HTML_PREFIXES = ("/login", "/logout", "/settings", "/web/")
"""Paths whose errors are shown as HTML pages rather than JSON."""

__all__ = ["HTML_PREFIXES", "WebFace", "ensure_installed", "face"]


class WebFace:
    """Installs the web pages once per app; its runtime is the app's :class:`WebUI`."""

    name = "web"
    job_modules: Sequence[str] = ()
    model_modules: Sequence[str] = ()

    def __init__(self, limits: SignInLimits | None = None) -> None:
        self.limits = limits

    def install(self, app: FastAPI, platform: Platform) -> WebUI:
        from tenantry.web.pages import router
        from tenantry.web.signin import SignInLimits
        from tenantry.web.templating import NavLink, WebUI, render_error_page

        installed = getattr(app.state, "web_ui", None)
        if isinstance(installed, WebUI):
            return installed
        ui = WebUI.build(platform.settings, self.limits or SignInLimits())
        ui.settings_links.append(
            NavLink(
                "/settings/two-factor",
                "Two-factor authentication",
                "Protect your sign-in with codes from an authenticator app.",
            )
        )
        app.state.web_ui = ui
        app.include_router(router)
        for prefix in HTML_PREFIXES:
            platform.error_renderers.register(prefix, render_error_page)
        return ui

    def commands(self) -> Commands:
        return Commands()

    def demo_seeders(self) -> Sequence[DemoSeeder]:
        return ()

    def settings_models(self) -> Sequence[type[BaseSettings]]:
        return ()


def ensure_installed(app: FastAPI, platform: Platform) -> WebUI:
    """The app's web UI, installing the default web face first when nobody did."""
    return face.install(app, platform)


face = WebFace()
