"""Percolate v5, part 2: the conventions engine and the organisation resources.

``install_v5`` mounts scopes, users, roles, user roles, platforms, channels and terms,
registers the capability catalogue and serves the face's OpenAPI document.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

    from tenantry.core.platform import Platform

__all__ = ["install_v5"]


def install_v5(app: FastAPI, platform: Platform) -> None:
    """Include the v5 routers, register capabilities, serve ``/api/v5/spec.(json|yaml)``."""
    from tenantry import __version__
    from tenantry.core.identity.permissions import catalogue
    from tenantry.core.spec import CachedOpenAPI, SpecEntry, openapi_routes
    from tenantry.percolate.v5 import (
        channel,
        role,
        scope,
        spec,
        term,
        user,
        user_role,
    )
    from tenantry.percolate.v5 import platform as platforms
    from tenantry.percolate.v5.capabilities import PERMISSIONS

    catalogue.register(PERMISSIONS)
    for module in (scope, user, role, user_role, platforms, channel, term):
        app.include_router(module.router)
    document = CachedOpenAPI(lambda: spec.build_spec(app))
    app.router.routes.extend(
        openapi_routes(document, spec.JSON_PATH, spec.YAML_PATH, name="percolate.spec")
    )
    platform.specs.append(
        SpecEntry(spec.TITLE, spec.JSON_PATH, spec.YAML_PATH, version=__version__)
    )
