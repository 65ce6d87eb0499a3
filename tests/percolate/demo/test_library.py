"""The library demo seeder: folders, images with variants readable and downloadable through
the API, a demo post naming one of them, and the upload commands in the banner."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import anyio.to_thread
import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.percolate.support.accounts import Account
from tests.percolate.support.library import image_bytes

from tenantry.percolate.demo import content, library, organisation
from tenantry.settings import Settings

pytestmark = pytest.mark.anyio


async def test_the_demo_library(
    api: httpx.AsyncClient,
    account: Account,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    boss = await account.user(("admin", None), name="Demo Admin")
    await organisation.seed_demo(settings, sessions, account.tenant_id, boss.user_id)
    await content.seed_demo(settings, sessions, account.tenant_id, boss.user_id)
    lines = await library.seed_demo(settings, sessions, account.tenant_id, boss.user_id)
    assert "Campaigns/Spring" in lines[0]
    assert any("/api/v5/upload_policy/" in line for line in lines)
    assert any("-F file=@photo.jpg" in line for line in lines)
    listed = await api.get("/api/v5/asset/?recursive=true", headers=boss.headers)
    assets = listed.json()["data"]
    assert len(assets) == 3 and all(a["ext"]["orientation"] == "landscape" for a in assets)
    first = min(assets, key=lambda a: int(a["id"].split(":")[1]))
    variants = await api.get(f"/api/v5/variant/?asset_id={first['id']}", headers=boss.headers)
    assert variants.json()["meta"]["total"] == 3
    download = await api.get(f"/api/v5/asset/{first['id']}/download", headers=boss.headers)
    assert download.status_code == 200 and download.content[:3] == b"\xff\xd8\xff"
    posts = await api.get(f"/api/v5/post/?asset_ids={first['id']}", headers=boss.headers)
    assert posts.json()["meta"]["total"] == 1
    assert posts.json()["data"][0]["asset_ids"] == [first["id"]]


async def test_the_banner_uploads_as_printed(
    live_server: str,
    account: Account,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    tmp_path: Path,
) -> None:
    if shutil.which("jq") is None or shutil.which("curl") is None:
        pytest.skip("the banner's commands need curl and jq")
    boss = await account.user(("admin", None), name="Demo Admin")
    await organisation.seed_demo(settings, sessions, account.tenant_id, boss.user_id)
    lines = await library.seed_demo(settings, sessions, account.tenant_id, boss.user_id)
    script = "\n".join(
        line.strip().replace("{base}", live_server) for line in lines if line.startswith("  ")
    )
    script = "\n".join(line for line in script.splitlines() if not line.startswith("Upload"))
    (tmp_path / "photo.jpg").write_bytes(image_bytes(300, 200, "JPEG"))
    env = {**os.environ, "TOKEN": boss.token}

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    done = await anyio.to_thread.run_sync(run)
    assert done.returncode == 0, (script, done.stdout, done.stderr)
    polled = json.loads(done.stdout.strip().splitlines()[-1])
    assert polled["data"]["status"] == "ready", polled
