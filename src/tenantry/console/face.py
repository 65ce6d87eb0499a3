"""The admin console as a face: installed after the web pages, on both API faces' services."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import FastAPI
from pydantic_settings import BaseSettings

from tenantry.core.face import Commands, DemoSeeder
from tenantry.core.platform import Platform

__all__ = ["ConsoleFace", "face"]


class ConsoleFace:
    """Mounts ``/console/`` and ``/invitation`` and links the console from the settings page."""

    name = "console"
    job_modules: Sequence[str] = ()
    model_modules: Sequence[str] = ()

    def install(self, app: FastAPI, platform: Platform) -> None:
        from tenantry import console
        from tenantry.web.face import ensure_installed
        from tenantry.web.templating import NavLink, render_error_page

        ui = ensure_installed(app, platform)
        ui.settings_links.append(
            NavLink(
                "/console/",
                "Admin console",
                "Keys, applications, webhooks and people of the organisation (admins only).",
                permissions=("manage:api", "system:admin"),
            )
        )
        app.include_router(console.router)
        for prefix in console.PREFIXES:
            platform.error_renderers.register(prefix, render_error_page)

    def commands(self) -> Commands:
        return Commands()

    def demo_seeders(self) -> Sequence[DemoSeeder]:
        return ()

    def settings_models(self) -> Sequence[type[BaseSettings]]:
        return ()


face = ConsoleFace()
