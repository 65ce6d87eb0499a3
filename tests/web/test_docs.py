"""``/docs`` (Swagger UI, ReDoc, vendored assets) and the OpenAPI JSON/YAML routes, via ASGI."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import yaml
from fastapi import APIRouter, FastAPI

from tenantry.core.spec import CachedOpenAPI, SpecEntry, dump_yaml, openapi_routes
from tenantry.web.docs import STATIC_DIRECTORIES, asset_tag, docs_router

pytestmark = pytest.mark.anyio

JSON_URL = "/fake/v1/spec.json"
YAML_URL = "/fake/v1/spec.yaml"
TITLE = "Fake <API> & co"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def fake_api() -> FastAPI:
    api = FastAPI(
        title=TITLE,
        version="1.2.3",
        description="First line.\n\nSecond line with `code`.\n",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )

    @api.get("/fake/v1/things/{thing_id}", tags=["things"])
    async def get_thing(thing_id: int) -> dict[str, int]:
        return {"id": thing_id}

    return api


class CountingBuilder:
    def __init__(self, build: Any) -> None:
        self.build = build
        self.calls = 0

    def __call__(self) -> dict[str, Any]:
        self.calls += 1
        document: dict[str, Any] = self.build()
        return document


@pytest.fixture
def builder() -> CountingBuilder:
    return CountingBuilder(fake_api().openapi)


@pytest.fixture
def entries() -> list[SpecEntry]:
    return [SpecEntry(title=TITLE, json_url=JSON_URL, yaml_url=YAML_URL, version="1.2.3")]


@pytest.fixture
async def client(
    builder: CountingBuilder, entries: list[SpecEntry]
) -> AsyncIterator[httpx.AsyncClient]:
    # docs_url=None: FastAPI's own /docs (CDN-loaded Swagger UI) would shadow ours.
    app = FastAPI(docs_url=None, redoc_url=None)
    app.include_router(APIRouter(routes=openapi_routes(builder, JSON_URL, YAML_URL, name="fake")))
    app.include_router(docs_router(lambda: entries))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


def asset_urls(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', html)


async def test_index_lists_every_spec(client: httpx.AsyncClient) -> None:
    response = await client.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert "Fake &lt;API&gt; &amp; co" in html  # autoescaped
    assert TITLE not in html
    assert "1.2.3" in html
    for link in (
        "/docs/swagger?spec=%2Ffake%2Fv1%2Fspec.json",
        "/docs/redoc?spec=%2Ffake%2Fv1%2Fspec.json",
        f'href="{JSON_URL}"',
        f'href="{YAML_URL}"',
    ):
        assert link in html
    assert "script-src" not in response.headers["content-security-policy"]


async def test_index_without_specs(entries: list[SpecEntry], client: httpx.AsyncClient) -> None:
    entries.clear()
    response = await client.get("/docs")
    assert response.status_code == 200
    assert "No API description" in response.text


@pytest.mark.parametrize(
    ("page", "bundle"),
    [("swagger", "swagger-ui/swagger-ui-bundle.js"), ("redoc", "redoc/redoc.standalone.js")],
)
async def test_viewer_pages_load_only_local_assets(
    client: httpx.AsyncClient, page: str, bundle: str
) -> None:
    response = await client.get(f"/docs/{page}", params={"spec": JSON_URL})
    assert response.status_code == 200
    html = response.text
    assert f'data-spec-url="{JSON_URL}"' in html
    assert "<script>" not in html  # no inline script: the CSP forbids it
    urls = asset_urls(html)
    assert urls, html
    assert all(url.startswith("/docs/static/") for url in urls), urls
    assert not re.search(r"(?:src|href)=\"(?:https?:)?//", html)
    assert f"/docs/static/{bundle}?v={asset_tag()}" in urls
    csp = response.headers["content-security-policy"]
    assert "script-src 'self';" in csp
    assert "default-src 'none'" in csp
    assert "http" not in csp  # no other origin allowed

    for url in urls:
        asset = await client.get(url)
        assert asset.status_code == 200, url
        assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert asset.headers["x-content-type-options"] == "nosniff"
        kind = asset.headers["content-type"]
        if url.split("?")[0].endswith(".js"):
            assert kind.startswith("text/javascript"), (url, kind)
        elif url.split("?")[0].endswith(".css"):
            assert kind.startswith("text/css"), (url, kind)


async def test_assets_are_revalidated_and_unknown_ones_404(client: httpx.AsyncClient) -> None:
    first = await client.get("/docs/static/swagger-ui/swagger-ui.css")
    assert first.status_code == 200
    assert first.headers["cache-control"] == "public, max-age=3600"  # untagged URL
    again = await client.get(
        "/docs/static/swagger-ui/swagger-ui.css", headers={"if-none-match": first.headers["etag"]}
    )
    assert again.status_code == 304
    oauth_redirect = await client.get("/docs/static/swagger-ui/oauth2-redirect.html")
    assert oauth_redirect.status_code == 200
    licence = await client.get("/docs/static/redoc/LICENSE")
    assert licence.headers["content-type"].startswith("text/plain")
    for missing in (
        "/docs/static/nope.js",
        "/docs/static/../docs.py",
        "/docs/static/%2e%2e/docs.py",
    ):
        assert (await client.get(missing)).status_code == 404, missing


@pytest.mark.parametrize("page", ["swagger", "redoc"])
@pytest.mark.parametrize(
    "spec",
    [
        None,
        "",
        "https://evil.example/spec.json",
        "/fake/v1/spec.yaml",
        '"><script>alert(1)</script>',
    ],
)
async def test_unknown_spec_is_404(client: httpx.AsyncClient, page: str, spec: str | None) -> None:
    params = {} if spec is None else {"spec": spec}
    response = await client.get(f"/docs/{page}", params=params)
    assert response.status_code == 404
    assert "<script>alert" not in response.text


async def test_docs_routes_stay_out_of_the_schema(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    assert not any(path.startswith(("/docs", "/fake")) for path in schema.get("paths", {}))


async def test_json_and_yaml_are_the_same_document(
    client: httpx.AsyncClient, builder: CountingBuilder
) -> None:
    as_json = await client.get(JSON_URL)
    as_yaml = await client.get(YAML_URL)
    assert as_json.status_code == as_yaml.status_code == 200
    assert as_json.headers["content-type"] == "application/json"
    assert as_yaml.headers["content-type"] == "application/yaml"
    document = as_json.json()
    assert document["info"]["title"] == TITLE
    assert "/fake/v1/things/{thing_id}" in document["paths"]
    assert yaml.safe_load(as_yaml.text) == document
    assert list(yaml.safe_load(as_yaml.text)) == list(document)  # key order kept
    assert "&id0" not in as_yaml.text  # no YAML anchors/aliases

    for _ in range(3):
        assert (await client.get(JSON_URL)).content == as_json.content
        assert (await client.head(YAML_URL)).status_code == 200
    assert builder.calls == 1  # built once, lazily, then served from cache


async def test_spec_is_built_lazily_and_revalidates(
    client: httpx.AsyncClient, builder: CountingBuilder
) -> None:
    assert builder.calls == 0
    await client.get("/docs")
    assert builder.calls == 0
    first = await client.get(YAML_URL)
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "no-cache"
    again = await client.get(YAML_URL, headers={"if-none-match": f'W/"other", {etag}'})
    assert again.status_code == 304
    assert again.content == b""
    other = await client.get(JSON_URL, headers={"if-none-match": etag})
    assert other.status_code == 200  # JSON and YAML have their own tags
    assert builder.calls == 1


def test_cached_openapi_warm_and_yaml_round_trip() -> None:
    shared = {"type": "string"}
    document = {
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1", "description": "a\nb\n\n  indented\ntrailing "},
        "x-shared": [shared, shared],
        "x-tricky": ["yes", "no", "on", "1.0", "null", "", "é ✓", "#x", "- y", "a: b"],
        "paths": {},
    }
    cache = CachedOpenAPI(lambda: document)
    cache.warm()
    assert yaml.safe_load(cache.yaml_bytes()) == document
    assert b"&id" not in cache.yaml_bytes()
    assert "é ✓".encode() in cache.json_bytes()
    assert yaml.safe_load(dump_yaml({"b": 1, "a": 2})) == {"b": 1, "a": 2}
    assert dump_yaml({"b": 1, "a": 2}).startswith(b"b: 1")


def test_vendored_bundles_reference_no_cdn() -> None:
    pattern = re.compile(rb"cdn\.|fonts\.googleapis|fonts\.gstatic|unpkg\.com|jsdelivr")
    shipped = [p for d in STATIC_DIRECTORIES for p in d.rglob("*") if p.suffix in {".js", ".css"}]
    assert {p.name for p in shipped} >= {
        "swagger-ui-bundle.js",
        "swagger-ui.css",
        "redoc.standalone.js",
        "swagger-init.js",
        "redoc-init.js",
    }
    for path in shipped:
        assert not pattern.search(path.read_bytes()), path
