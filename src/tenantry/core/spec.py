"""Serve an OpenAPI document as JSON and YAML, built once on first use.

Vendor-neutral: a face hands over a callable that returns its OpenAPI document (for example
``lambda: get_openapi(title=..., version=..., routes=router.routes)``) and gets back two
routes. The document is built and serialised once, lazily, under a lock; each request then
only compares an ETag and sends cached bytes. Call :meth:`CachedOpenAPI.warm` at start-up to
pay the build before the first request instead.

The face also registers a :class:`SpecEntry` (title, version, URLs) so ``/docs`` can list it.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import yaml
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

__all__ = ["JSON_MEDIA_TYPE", "YAML_MEDIA_TYPE", "CachedOpenAPI", "SpecEntry", "openapi_routes"]

JSON_MEDIA_TYPE = "application/json"
YAML_MEDIA_TYPE = "application/yaml"  # RFC 9512
# Specs change with deployments, not over time: let clients keep a copy and revalidate it.
_CACHE_CONTROL = "no-cache"

OpenAPIBuilder = Callable[[], Mapping[str, Any]]


@dataclass(frozen=True)
class SpecEntry:
    """One API description, as listed on ``/docs``.

    ``json_url`` and ``yaml_url`` are what a browser on this site fetches (usually absolute
    paths such as ``/v1/spec.json``); ``json_url`` also identifies the spec in
    ``/docs/swagger?spec=...``.
    """

    title: str
    json_url: str
    yaml_url: str
    version: str


@dataclass(frozen=True)
class _Rendered:
    document: dict[str, Any]
    json: bytes
    json_etag: str
    yaml: bytes
    yaml_etag: str


class CachedOpenAPI:
    """An OpenAPI document rendered to JSON and YAML once, on first use, then kept."""

    def __init__(self, build: OpenAPIBuilder) -> None:
        self._build = build
        self._lock = threading.Lock()
        self._rendered: _Rendered | None = None

    def _get(self) -> _Rendered:
        rendered = self._rendered
        if rendered is not None:
            return rendered
        with self._lock:
            if self._rendered is None:
                document = dict(self._build())
                json_bytes = dump_json(document)
                yaml_bytes = dump_yaml(document)
                self._rendered = _Rendered(
                    document=document,
                    json=json_bytes,
                    json_etag=_etag(json_bytes),
                    yaml=yaml_bytes,
                    yaml_etag=_etag(yaml_bytes),
                )
            return self._rendered

    def warm(self) -> None:
        """Build and serialise now (e.g. during start-up) rather than on the first request."""
        self._get()

    def document(self) -> dict[str, Any]:
        """The document as built (shared: do not mutate it)."""
        return self._get().document

    def json_bytes(self) -> bytes:
        return self._get().json

    def yaml_bytes(self) -> bytes:
        return self._get().yaml

    def json_response(self, request: Request) -> Response:
        rendered = self._get()
        return _respond(request, rendered.json, rendered.json_etag, JSON_MEDIA_TYPE)

    def yaml_response(self, request: Request) -> Response:
        rendered = self._get()
        return _respond(request, rendered.yaml, rendered.yaml_etag, YAML_MEDIA_TYPE)


def openapi_routes(
    app_or_router_openapi: OpenAPIBuilder | CachedOpenAPI,
    json_path: str,
    yaml_path: str,
    *,
    name: str | None = None,
) -> list[Route]:
    """Two GET (and HEAD) routes serving one OpenAPI document as JSON and as YAML.

    ``app_or_router_openapi`` is called at most once, on the first request to either route
    (or pass a :class:`CachedOpenAPI` you ``warm()`` yourself). The routes stay out of the
    OpenAPI schema. Add them with ``app.router.routes.extend(...)`` or
    ``APIRouter(routes=...)``. ``name`` names them ``{name}.json`` / ``{name}.yaml`` for
    ``url_for``.
    """
    cache = (
        app_or_router_openapi
        if isinstance(app_or_router_openapi, CachedOpenAPI)
        else CachedOpenAPI(app_or_router_openapi)
    )

    async def serve_json(request: Request) -> Response:
        return cache.json_response(request)

    async def serve_yaml(request: Request) -> Response:
        return cache.yaml_response(request)

    return [
        Route(
            json_path,
            serve_json,
            methods=["GET"],
            name=f"{name}.json" if name else None,
            include_in_schema=False,
        ),
        Route(
            yaml_path,
            serve_yaml,
            methods=["GET"],
            name=f"{name}.yaml" if name else None,
            include_in_schema=False,
        ),
    ]


def dump_json(document: Mapping[str, Any]) -> bytes:
    """Compact UTF-8 JSON; orjson when it is installed, else the standard library."""
    try:
        import orjson
    except ModuleNotFoundError:  # pragma: no cover - orjson is a dependency
        return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
    return orjson.dumps(document, option=orjson.OPT_NON_STR_KEYS)


class _SpecDumper(yaml.SafeDumper):
    """``safe_dump`` without ``&id001`` anchors for objects the document shares."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # Multi-line descriptions read better as block literals; PyYAML falls back to a quoted
    # scalar by itself when a string cannot be written that way.
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_SpecDumper.add_representer(str, _represent_str)


def dump_yaml(document: Mapping[str, Any]) -> bytes:
    """YAML in the document's own key order (``safe_dump`` with ``sort_keys=False``)."""
    text = yaml.dump(
        dict(document),
        Dumper=_SpecDumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
    )
    return text.encode()


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _matches(if_none_match: str, etag: str) -> bool:
    if if_none_match.strip() == "*":
        return True
    for candidate in if_none_match.split(","):
        tag = candidate.strip()
        if tag.startswith("W/"):
            tag = tag[2:]
        if tag == etag:
            return True
    return False


def _respond(request: Request, body: bytes, etag: str, media_type: str) -> Response:
    headers = {"ETag": etag, "Cache-Control": _CACHE_CONTROL}
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None and _matches(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)
