"""The web pages as an installable face: sign-in, two-factor and the settings shell.

Other faces add their own settings sections (``ui.settings_links``) and templates
(``ui.add_templates``) on top; :func:`ensure_installed` lets them depend on this face
without caring about the order faces are listed in.
"""

from __future__ import annotations

from fastapi import FastAPI

from tenantry.core.platform import Platform
from tenantry.web.pages import router
from tenantry.web.signin import SignInLimits
from tenantry.web.templating import NavLink, WebUI, render_error_page

HTML_PREFIXES = ("/login", "/logout", "/settings", "/web/")
"""Paths whose errors are shown as HTML pages rather than JSON."""

__all__ = ["HTML_PREFIXES", "WebFace", "ensure_installed", "face"]


class WebFace:
    """Installs the web pages once per app."""

    name = "web"

    def __init__(self, limits: SignInLimits | None = None) -> None:
        self.limits = limits or SignInLimits()

    def install(self, app: FastAPI, platform: Platform) -> None:
        if isinstance(getattr(app.state, "web_ui", None), WebUI):
            return
        ui = WebUI.build(platform.settings, self.limits)
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


def ensure_installed(app: FastAPI, platform: Platform) -> WebUI:
    """The app's web UI, installing the default web face first when nobody did."""
    face.install(app, platform)
    ui = app.state.web_ui
    assert isinstance(ui, WebUI)
    return ui


face = WebFace()
