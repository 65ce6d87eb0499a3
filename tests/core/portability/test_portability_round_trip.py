"""The demo tenant moved PostgreSQL → SQLite → PostgreSQL answers every list endpoint of both
faces with the same content (ids aside) and serves the same file bytes."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from tenantry.app import create_app
from tenantry.core import migrate
from tenantry.core.db import create_engine, session_factory
from tenantry.core.portability.export import export_tenant
from tenantry.core.portability.importer import import_tenant
from tenantry.demo import create_demo
from tenantry.reissue import reissue_credentials
from tenantry.settings import Settings, load_settings

pytestmark = [pytest.mark.anyio, pytest.mark.postgres_only, pytest.mark.timeout(900)]

NOT_TENANT_DATA = {
    "/oauth/logout",
    "/.well-known/openid-configuration",
    "/v1/audit-log",
    "/v2/audit-log",
    "/api/v5/audit_log/",
}
"""GET routes without a path parameter that describe the installation, not the tenant, and
the audit log, which stays with the installation that wrote it (docs/decisions.md)."""

_TYPED = re.compile(r"\b([a-z_]+):\d+(?:_\d+)*")
_LABEL = re.compile(r"^([A-Z][A-Za-z ]*): \d+$")
_PATH_NUMBER = re.compile(r"/\d+(?=[/?#]|$)")
_SIGNED = re.compile(r"(signature|expires|X-Amz-[A-Za-z]+)=[^&\"]+")


def ids_aside(value: Any, key: str = "") -> Any:
    """``value`` with every id replaced by ``#``: typed ids, id fields, ids in URL paths."""
    if isinstance(value, dict):
        return {name: ids_aside(item, name) for name, item in value.items()}
    if isinstance(value, list):
        return [ids_aside(item, key) for item in value]
    id_key = key in {"id", "sub", "tenant", "recipients"} or key.endswith(("_id", "_ids"))
    if isinstance(value, int) and not isinstance(value, bool) and id_key:
        return "#"
    if isinstance(value, str):
        if id_key and value.isdigit():
            return "#"
        value = _LABEL.sub(r"\1: #", value)
        value = _TYPED.sub(r"\1:#", value)
        value = _PATH_NUMBER.sub("/#", value)
        return _SIGNED.sub(r"\1=~", value)
    return value


async def list_paths(http: httpx.AsyncClient, spec: str, prefix: tuple[str, ...]) -> list[str]:
    paths = (await http.get(spec)).json()["paths"]
    # The request log first: later calls of this snapshot would add to it.
    return sorted(
        (
            path
            for path, operations in paths.items()
            if "get" in operations
            and "{" not in path
            and path.startswith(prefix)
            and path not in NOT_TENANT_DATA
        ),
        key=lambda path: (path != "/v1/activity", path),
    )


async def snapshot(
    http: httpx.AsyncClient, tenant_id: int, credentials: dict[str, Any]
) -> dict[str, Any]:
    """Every list endpoint of both faces, as this tenant's admin sees it."""
    perscom = {
        "Authorization": f"Bearer {credentials['perscom_api_key']['token']}",
        "X-Perscom-Id": str(tenant_id),
    }
    percolate = {"Authorization": f"Bearer {credentials['percolate_access_token']}"}
    seen: dict[str, Any] = {}
    for path in await list_paths(http, "/v1/spec.json", ("/v1/", "/oauth/")):
        answer = await http.get(path, headers=perscom)
        seen[path] = (answer.status_code, ids_aside(answer.json()))
    scopes = (await http.get("/api/v5/scope/", headers=percolate)).json()["data"]
    every_scope = ",".join([scope["id"] for scope in scopes] + [f"account:{tenant_id}"])
    licenses = [scope["id"] for scope in scopes if scope["id"].startswith("license:")]
    for path in await list_paths(http, "/api/v5/spec.json", ("/api/",)):
        params = {"scope_ids": every_scope, "recursive": "true"}
        if path == "/api/v3/media":
            params = {"index_license_id": licenses[0].split(":")[1]}
        answer = await http.get(path, headers=percolate, params=params)
        if answer.status_code == 400:
            answer = await http.get(path, headers=percolate)
        seen[path] = (answer.status_code, ids_aside(answer.json()))
    seen["files"] = await downloads(http, percolate, every_scope)
    return seen


async def downloads(http: httpx.AsyncClient, headers: dict[str, str], scopes: str) -> list[bytes]:
    """The bytes of every asset and variant, in list order."""
    assets = await http.get(
        "/api/v5/asset/", headers=headers, params={"scope_ids": scopes, "recursive": "true"}
    )
    found: list[bytes] = []
    for asset in assets.json()["data"]:
        original = await http.get(f"/api/v5/asset/{asset['id']}/download", headers=headers)
        assert original.status_code == 200
        found.append(original.content)
        variants = await http.get(
            "/api/v5/variant/", headers=headers, params={"asset_id": asset["id"]}
        )
        for variant in variants.json()["data"]:
            got = await http.get(f"/api/v5/variant/{variant['id']}/download", headers=headers)
            assert got.status_code == 200
            found.append(got.content)
    return found


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    application: FastAPI = create_app(settings)
    async with LifespanManager(application):
        transport = httpx.ASGITransport(app=application, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


async def issue(settings: Settings, tenant_id: int) -> dict[str, Any]:
    engine = create_engine(settings)
    try:
        return await reissue_credentials(settings, session_factory(engine), tenant_id)
    finally:
        await engine.dispose()


async def test_demo_tenant_round_trip(settings: Settings, migrated: None, tmp_path: Path) -> None:
    embedded = load_settings(
        data_dir=tmp_path / "sqlite",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'sqlite' / 'tenantry.db'}",
        secret_key="another-installation-" + "y" * 32,
        embedded_worker=False,
        demo_on_first_start=False,
    )
    owner = create_engine(embedded, as_app_role=False)
    await migrate.upgrade(owner, embedded)
    await owner.dispose()

    engine = create_engine(settings)
    try:
        source = (await create_demo(settings, session_factory(engine)))["tenant_id"]
    finally:
        await engine.dispose()

    await export_tenant(settings, source, tmp_path / "from-postgres.tenantry")
    there = (await import_tenant(embedded, tmp_path / "from-postgres.tenantry"))["tenant_id"]
    await export_tenant(embedded, there, tmp_path / "from-sqlite.tenantry")
    back = (await import_tenant(settings, tmp_path / "from-sqlite.tenantry"))["tenant_id"]
    assert len({source, back}) == 2

    async with serving(settings) as http:
        original = await snapshot(http, source, await issue(settings, source))
        returned = await snapshot(http, back, await issue(settings, back))
    async with serving(embedded) as http:
        moved = await snapshot(http, there, await issue(embedded, there))

    assert len(original["files"]) >= 4
    assert original.keys() == moved.keys() == returned.keys()
    differing = [path for path in original if original[path] != returned[path]]
    differing += [path for path in original if original[path] != moved[path]]
    assert differing == []
    answered = [path for path, answer in original.items() if path != "files" and answer[0] == 200]
    assert len(answered) > 50
