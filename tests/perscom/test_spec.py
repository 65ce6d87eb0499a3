"""The spec (issue 4 item 7): generated from the code, served as JSON and YAML under both
versions, valid, with stable operation ids, the bearer scheme and ``X-Perscom-Id`` on every
operation, every served route documented, and importable into Postman."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
import yaml
from fastapi import FastAPI
from openapi_spec_validator import validate

from tenantry.perscom import PerscomFace
from tenantry.perscom.engine.routes import operations
from tenantry.perscom.oauth.spec import oauth_paths
from tenantry.perscom.spec import build_spec

pytestmark = pytest.mark.anyio

EXTENSIONS = {
    ("get", "/v1/webhooks"),
    ("post", "/v1/webhooks"),
    ("get", "/v1/webhooks/{id}"),
    ("put", "/v1/webhooks/{id}"),
    ("patch", "/v1/webhooks/{id}"),
    ("delete", "/v1/webhooks/{id}"),
    ("post", "/v1/webhooks/{id}/test"),
    ("get", "/v1/webhooks/{id}/deliveries"),
    ("post", "/v1/webhooks/{id}/deliveries/{delivery}/replay"),
    ("get", "/v1/activity"),
    ("get", "/v1/audit-log"),
}
"""Tenantry's additions, served beside PERSCOM's operations."""

HERE = Path(__file__).resolve().parent
NODE_DIR = HERE / ".node"
POSTMAN_PACKAGE = "openapi-to-postmanv2@6.3.3"


@pytest.fixture(scope="module")
async def documents(app: FastAPI) -> dict[str, dict[str, Any]]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        found = {}
        for version in ("v1", "v2"):
            response = await http.get(f"/{version}/spec.json")
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("application/json")
            found[version] = response.json()
        return found


async def test_v1_spec_is_valid_openapi(documents: dict[str, dict[str, Any]]) -> None:
    validate(documents["v1"])


async def test_v2_is_v1_under_another_prefix(documents: dict[str, dict[str, Any]]) -> None:
    v1 = json.dumps(documents["v1"]).replace('"/v1/', '"/v2/')
    assert json.loads(v1) == documents["v2"]


async def test_yaml_is_the_same_document(
    client: httpx.AsyncClient, documents: dict[str, dict[str, Any]]
) -> None:
    response = await client.get("/v1/spec.yaml")
    assert response.status_code == 200
    assert "yaml" in response.headers["content-type"]
    assert yaml.safe_load(response.text) == documents["v1"]


async def test_every_served_operation_is_documented(
    app: FastAPI, documents: dict[str, dict[str, Any]]
) -> None:
    served = {
        (op.method.lower(), f"/v1{op.spec_path}") for op in PerscomFace.runtime(app).operations
    }
    served |= {("get", f"/v1{p}") for p in ("/me", "/newsfeed", "/roster", "/roster/{id}")}
    served |= {(method, path) for path, item in oauth_paths().items() for method in item}
    served |= EXTENSIONS
    documented = {
        (method, path) for path, item in documents["v1"]["paths"].items() for method in item
    }
    assert documented == served


async def test_operation_ids_are_unique_and_stable(
    app: FastAPI, documents: dict[str, dict[str, Any]]
) -> None:
    ids = [op["operationId"] for item in documents["v1"]["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))
    runtime = PerscomFace.runtime(app)
    rebuilt = build_spec(
        runtime.registry, operations(runtime.registry), version="v1", app_version="x", server="y"
    )
    again = [op["operationId"] for item in rebuilt["paths"].values() for op in item.values()]
    assert again == ids
    assert {"listUsers", "getUser", "searchUsers", "attachGroupUnits", "createRankImage"} <= set(
        ids
    )


async def test_bearer_scheme_and_perscom_id_on_every_operation(
    documents: dict[str, dict[str, Any]],
) -> None:
    document = documents["v1"]
    assert document["components"]["securitySchemes"]["ApiKey"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
    }
    assert document["security"] == [{"ApiKey": []}]
    parameter = {"$ref": "#/components/parameters/PerscomId"}
    for path, item in document["paths"].items():
        if path in oauth_paths():  # the dashboard host's OAuth routes take no tenant header
            continue
        for method, operation in item.items():
            assert parameter in operation["parameters"], (method, path)


async def test_extensions_are_marked_as_such(documents: dict[str, dict[str, Any]]) -> None:
    paths = documents["v1"]["paths"]
    for method, path in EXTENSIONS:
        operation = paths[path][method]
        assert operation["x-tenantry-extension"] is True, (method, path)
        assert operation["tags"] == ["extensions"]
        assert operation["summary"].endswith("(Tenantry extension)")
    marked = {
        (method, path)
        for path, item in paths.items()
        for method, operation in item.items()
        if operation.get("x-tenantry-extension")
    }
    added = {(method, path) for method, path in marked if path.startswith("/v1/tags")}
    assert marked - added == EXTENSIONS
    assert ("post", "/v1/tags/{id}/forms/attach") in added
    for method, path in added:  # a declared addition keeps its resource's tag
        assert paths[path][method]["summary"].endswith("(Tenantry extension)"), path
        assert paths[path][method]["tags"] == ["tags"]


async def test_spec_is_public_and_cacheable(client: httpx.AsyncClient) -> None:
    response = await client.get("/v2/spec.json")
    assert response.status_code == 200
    etag = response.headers["etag"]
    again = await client.get("/v2/spec.json", headers={"If-None-Match": etag})
    assert again.status_code == 304


async def test_listed_on_the_docs_page(app: FastAPI) -> None:
    urls = {entry.json_url for entry in app.state.platform.specs}
    assert {"/v1/spec.json", "/v2/spec.json"} <= urls


def _node_modules() -> Path:
    """openapi-to-postmanv2, installed once into tests/perscom/.node (git-ignored)."""
    package = NODE_DIR / "node_modules" / "openapi-to-postmanv2" / "package.json"
    if not package.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip("npm is not installed")
        NODE_DIR.mkdir(exist_ok=True)
        subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--silent", POSTMAN_PACKAGE],
            cwd=NODE_DIR,
            check=True,
            timeout=600,
        )
    return NODE_DIR / "node_modules"


@pytest.mark.slow
@pytest.mark.timeout(300)
async def test_postman_imports_every_operation(
    documents: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    modules = await anyio.to_thread.run_sync(_node_modules)
    spec_file = tmp_path / "spec.json"
    spec_file.write_text(json.dumps(documents["v1"]))
    with anyio.fail_after(240):
        result = await anyio.run_process(
            [node, str(HERE / "postman_convert.js"), str(spec_file)],
            env={**os.environ, "NODE_PATH": str(modules)},
            check=False,
        )
    assert result.returncode == 0, result.stderr.decode()
    collection = json.loads(result.stdout)
    assert collection["info"] == "PERSCOM.io API"
    converted = {
        (
            r["method"].lower(),
            r["path"]
            .replace(":id", "{id}")
            .replace(":rid", "{rid}")
            .replace(":delivery", "{delivery}"),
        )
        for r in collection["requests"]
    }
    documented = {
        (method, path) for path, item in documents["v1"]["paths"].items() for method in item
    }
    assert converted == documented
    assert len(collection["requests"]) == len(documented)
