"""The OpenAPI 3.1 document of the whole Percolate face, generated from the routes.

Every operation under ``/api/v5``, ``/api/v3``, ``/auth/v5`` and ``/auth/oauth2`` is taken
from the app as installed (OAuth endpoints, ``/me`` and the v5 resources alike); the v5
declarations bring their parameters (patterns, enums, defaults), bodies and envelopes. The
component schemas those name travel with the routes (under ``$defs``, see
:mod:`tenantry.percolate.api.schemas`) and are gathered here, at build time.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts

from tenantry import __version__
from tenantry.percolate.api.routes import SECURITY

__all__ = ["JSON_PATH", "TITLE", "YAML_PATH", "build_spec"]

TITLE = "Percolate API v5 (Tenantry)"
JSON_PATH = "/api/v5/spec.json"
YAML_PATH = "/api/v5/spec.yaml"
PREFIXES = ("/api/v5", "/api/v3", "/auth/v5", "/auth/oauth2")
DESCRIPTION = """\
Percolate's v5 API as served by Tenantry.

* Ids are typed strings (`user:12`, `license:3`, `builtin_scope:system`).
* Lists answer `{"meta": {"total", "query"}, "data": [...], "include": {...}}`, take `limit`
  (clamped at 1000) and an item `offset`, `ids=` for batch reads (unknown or forbidden ids are
  simply absent), `include=` for side-loading, `order_by`/`order_direction` (ties by id) and
  `{field}:from` (inclusive) / `{field}:to` (exclusive).
* An object that does not exist and one the token may not touch both answer **403**; 404 is
  for unknown routes only. Every 4xx body is `{"errors": [{"code", "message", "key", "value"}]}`.
* Tenantry additions: `/api/v5/scope/` manages license groups, licenses and brands;
  `account_id` on the password reset; `platform:read` and `term:read` capabilities.
"""


def _collect_defs(node: Any, into: dict[str, Any]) -> None:
    """Every ``$defs`` entry under ``node``, into ``into``."""
    if isinstance(node, dict):
        into.update(node.get("$defs", {}))
        for value in node.values():
            _collect_defs(value, into)
    elif isinstance(node, list):
        for item in node:
            _collect_defs(item, into)


def _drop_defs(node: Any) -> None:
    if isinstance(node, dict):
        node.pop("$defs", None)
        for value in node.values():
            _drop_defs(value)
    elif isinstance(node, list):
        for item in node:
            _drop_defs(item)


def route_components(app: FastAPI) -> dict[str, Any]:
    """The component schemas the Percolate routes carry, read from the declarations as
    written (the operations FastAPI renders have dropped every null, ``default: null``
    among them)."""
    found: dict[str, Any] = {}
    for route in iter_route_contexts(app.routes):
        if isinstance(route.original_route, APIRoute) and (route.path or "").startswith(PREFIXES):
            _collect_defs(route.responses, found)
            _collect_defs(route.openapi_extra, found)
    return found


def build_spec(app: FastAPI) -> dict[str, Any]:
    document = get_openapi(
        title=TITLE,
        version=__version__,
        openapi_version="3.1.0",
        description=DESCRIPTION,
        routes=app.routes,
    )
    document["paths"] = {
        path: item for path, item in document.get("paths", {}).items() if path.startswith(PREFIXES)
    }
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    _drop_defs(document["paths"])
    schemas.update(route_components(app))
    components["schemas"] = dict(sorted(schemas.items()))
    components["securitySchemes"] = {
        "percolate_oauth": {
            "type": "oauth2",
            "description": "OAuth 2.0 authorization code; send `Authorization: Bearer <token>`.",
            "flows": {
                "authorizationCode": {
                    "authorizationUrl": "/auth/oauth2",
                    "tokenUrl": "/auth/v5/token/",
                    "refreshUrl": "/auth/v5/token/",
                    "scopes": {},
                }
            },
        },
        "client_basic": {
            "type": "http",
            "scheme": "basic",
            "description": "The OAuth client's id and secret (the token endpoint).",
        },
    }
    for path, operations in document.get("paths", {}).items():
        if not path.startswith("/api/"):
            continue
        for operation in operations.values():
            if isinstance(operation, dict) and "security" not in operation:
                operation["security"] = SECURITY
    return document
