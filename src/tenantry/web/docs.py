"""``/docs``: the API descriptions this server registers, browsable fully offline.

Swagger UI 5 and ReDoc 2 are vendored in ``static/vendor`` (see ``VERSIONS.md`` there and
``scripts/vendor_docs_assets.sh``); the pages load nothing from another origin, and their
Content-Security-Policy makes sure of it. Routes:

- ``GET /docs``: every registered :class:`~tenantry.core.spec.SpecEntry` with its links;
- ``GET /docs/swagger?spec=<json_url>`` and ``GET /docs/redoc?spec=<json_url>``: one spec,
  which must be a registered ``json_url`` (anything else is a 404: no arbitrary URLs);
- ``GET /docs/static/...``: the vendored bundles and the pages' own CSS/JS. Pages link them
  with ``?v=<content hash>``; such URLs are cached for a year, others for an hour.

None of these routes appear in the OpenAPI schema.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, Request
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.exceptions import HTTPException
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from tenantry.core.spec import SpecEntry

__all__ = ["STATIC_DIRECTORIES", "DocsStaticFiles", "docs_router"]

_HERE = Path(__file__).resolve().parent
TEMPLATES = _HERE / "templates"
# Searched in order; both are served under /docs/static/.
STATIC_DIRECTORIES: tuple[Path, ...] = (_HERE / "static" / "vendor", _HERE / "static" / "docs")

INDEX_NAME = "docs-index"
SWAGGER_NAME = "docs-swagger"
REDOC_NAME = "docs-redoc"
STATIC_NAME = "docs-static"

_BASE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-cache",
}
# The index page runs no script at all.
_INDEX_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
# Swagger UI and ReDoc: scripts only from this site (no inline script), inline styles (both
# inject <style> elements), data:/blob: images (icons, Swagger's response previews), a blob:
# worker (ReDoc's search), and fetch() only to this site (the spec, "Try it out"). This is
# also what keeps ReDoc's sidebar logo (https://cdn.redoc.ly/...) from being fetched.
_VIEWER_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
    "worker-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)

_IMMUTABLE = "public, max-age=31536000, immutable"
_SHORT = "public, max-age=3600"
_MEDIA_TYPES = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".html": "text/html",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".md": "text/markdown",
    ".txt": "text/plain",
    "": "text/plain",  # LICENSE, NOTICE
}


@cache
def asset_tag() -> str:
    """A short hash of every file served under ``/docs/static`` (computed once per process)."""
    digest = hashlib.sha256()
    for directory in STATIC_DIRECTORIES:
        for path in sorted(p for p in directory.rglob("*") if p.is_file()):
            digest.update(path.relative_to(directory).as_posix().encode() + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


class DocsStaticFiles(StaticFiles):
    """StaticFiles with explicit content types and cache headers.

    A request carrying the current ``?v=`` tag gets a year-long immutable cache; any other
    an hour. ETag / Last-Modified revalidation comes from StaticFiles.
    """

    def __init__(self, directories: Sequence[Path] = STATIC_DIRECTORIES) -> None:
        for directory in directories:
            if not directory.is_dir():
                raise RuntimeError(f"docs assets directory {directory} is missing")
        super().__init__(directory=directories[0])
        self.all_directories = [str(d) for d in directories]

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        if isinstance(response, FileResponse):
            media_type = _MEDIA_TYPES.get(Path(full_path).suffix.lower())
            if media_type is not None:
                charset = "; charset=utf-8" if media_type.startswith("text/") else ""
                response.media_type = media_type
                response.headers["content-type"] = media_type + charset
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        tagged = query.get("v") == [asset_tag()]
        response.headers["cache-control"] = _IMMUTABLE if tagged else _SHORT
        response.headers["x-content-type-options"] = "nosniff"
        return response


@dataclass(frozen=True)
class _IndexRow:
    title: str
    version: str
    json_url: str
    yaml_url: str
    swagger_href: str
    redoc_href: str


def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def docs_router(specs: Callable[[], Sequence[SpecEntry]]) -> APIRouter:
    """The ``/docs`` pages for whatever ``specs()`` returns at request time.

    ``specs`` is called on each page view (faces may register after the router is built);
    keep it cheap, e.g. ``lambda: platform.specs``.
    """
    env = _environment()
    tag = asset_tag()
    router = APIRouter(include_in_schema=False)
    router.mount("/docs/static", DocsStaticFiles(), name=STATIC_NAME)

    def render(request: Request, template: str, csp: str, **context: Any) -> HTMLResponse:
        static_root = request.url_for(STATIC_NAME, path="").path.rstrip("/")

        def asset_path(name: str) -> str:
            return f"{static_root}/{name}"

        def asset(name: str) -> str:
            return f"{static_root}/{name}?v={tag}"

        html = env.get_template(template).render(asset=asset, asset_path=asset_path, **context)
        headers = {**_BASE_HEADERS, "Content-Security-Policy": csp}
        return HTMLResponse(html, headers=headers)

    def find(spec: str | None) -> SpecEntry:
        if spec:
            for entry in specs():
                if entry.json_url == spec:
                    return entry
        raise HTTPException(status_code=404, detail="No such API description.")

    @router.get("/docs", name=INDEX_NAME, response_class=HTMLResponse)
    async def docs_index(request: Request) -> HTMLResponse:
        swagger = request.url_for(SWAGGER_NAME).path
        redoc = request.url_for(REDOC_NAME).path
        rows = [
            _IndexRow(
                title=entry.title,
                version=entry.version,
                json_url=entry.json_url,
                yaml_url=entry.yaml_url,
                swagger_href=f"{swagger}?{urlencode({'spec': entry.json_url})}",
                redoc_href=f"{redoc}?{urlencode({'spec': entry.json_url})}",
            )
            for entry in specs()
        ]
        return render(request, "docs/index.html", _INDEX_CSP, entries=rows)

    @router.get("/docs/swagger", name=SWAGGER_NAME, response_class=HTMLResponse)
    async def docs_swagger(request: Request, spec: str | None = None) -> HTMLResponse:
        return render(request, "docs/swagger.html", _VIEWER_CSP, entry=find(spec))

    @router.get("/docs/redoc", name=REDOC_NAME, response_class=HTMLResponse)
    async def docs_redoc(request: Request, spec: str | None = None) -> HTMLResponse:
        return render(request, "docs/redoc.html", _VIEWER_CSP, entry=find(spec))

    return router
