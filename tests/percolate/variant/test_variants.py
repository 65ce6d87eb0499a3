"""Variants: the job renders medium, square and thumbnail with the EXIF orientation applied,
broken images turn the asset to error, list filters, downloads, capabilities, isolation."""

from __future__ import annotations

import asyncio
import io
from typing import Any

import httpx
import pytest
from PIL import Image
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from tests.percolate.asset.test_assets import exif_photo, make_asset
from tests.percolate.support.accounts import Account, Caller
from tests.percolate.support.library import empty_jobs, image_bytes, png_header, worker

from tenantry.core.jobs import JobHandlers
from tenantry.percolate.asset.models import VARIANTS_JOB
from tenantry.percolate.variant.jobs import make_variants
from tenantry.settings import Settings

pytestmark = pytest.mark.anyio


async def variants_of(api: httpx.AsyncClient, caller: Caller, asset: str, query: str = "") -> Any:
    response = await api.get(f"/api/v5/variant/?asset_id={asset}{query}", headers=caller.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def settle(
    api: httpx.AsyncClient,
    caller: Caller,
    assets: list[str],
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    broken: str | None = None,
) -> None:
    handlers = JobHandlers()
    handlers.register(VARIANTS_JOB)(make_variants)
    async with worker(settings, sessions, handlers):
        for _ in range(300):
            counts = [(await variants_of(api, caller, a))["meta"]["total"] for a in assets]
            status = None
            if broken is not None:
                shown = await api.get(f"/api/v5/asset/{broken}", headers=caller.headers)
                status = shown.json()["data"]["status"]
            if all(count == 3 for count in counts) and status in (None, "error"):
                return
            await asyncio.sleep(0.05)
    raise AssertionError("the variants job did not finish")


async def test_renditions_filters_and_downloads(
    api: httpx.AsyncClient,
    account: Account,
    admin: Caller,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    owner_engine: AsyncEngine,
) -> None:
    await empty_jobs(owner_engine)
    lic = await account.scope("license")
    wide = await make_asset(api, admin, lic, "wide.jpg", image_bytes(1200, 800, "JPEG"))
    turned = await make_asset(api, admin, lic, "turned.jpg", exif_photo())
    broken = await make_asset(api, admin, lic, "broken.png", png_header(100, 100))
    await settle(api, admin, [wide["id"], turned["id"]], settings, sessions, broken["id"])
    listed = await variants_of(api, admin, wide["id"], "&order_by=dimensions&order_direction=desc")
    sizes = [v["ext"]["dimensions"] for v in listed["data"]]
    assert [(d["width"], d["height"]) for d in sizes] == [(520, 347), (440, 440), (64, 64)]
    assert all(v["type"] == "image" and v["asset_id"] == wide["id"] for v in listed["data"])
    assert listed["data"][0]["ext"]["orientation"] == "landscape"
    upright = await variants_of(api, admin, turned["id"], "&min_width=250")
    medium = upright["data"][0]["ext"]  # stored 400x300, EXIF-rotated: 300x400, not upscaled
    assert medium["dimensions"]["width"] == 300 and medium["dimensions"]["height"] == 400
    assert medium["orientation"] == "portrait"
    assert (await variants_of(api, admin, wide["id"], "&ext.width=500"))["meta"]["total"] == 1
    assert (await variants_of(api, admin, wide["id"], "&max_height=64"))["meta"]["total"] == 1
    assert (await variants_of(api, admin, wide["id"], "&types=video"))["meta"]["total"] == 0
    assert (await variants_of(api, admin, broken["id"]))["meta"]["total"] == 0
    status = (await api.get(f"/api/v5/asset/{broken['id']}", headers=admin.headers)).json()
    assert status["data"]["status"] == "error"

    thumb = await api.get(
        f"/api/v5/variant/?asset_id={wide['id']}&max_width=64&download=inline",
        headers=admin.headers,
    )
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    assert thumb.headers["content-disposition"] == 'inline; filename="wide-thumbnail.jpg"'
    assert Image.open(io.BytesIO(thumb.content)).size == (64, 64)
    several = await api.get(
        f"/api/v5/variant/?asset_id={wide['id']}&download=attachment", headers=admin.headers
    )
    assert several.headers["content-type"] == "application/json"
    single = listed["data"][1]["id"]
    one = await api.get(f"/api/v5/variant/{single}", headers=admin.headers)
    assert one.json()["data"]["ext"]["dimensions"]["width"] == 440
    got = await api.get(f"/api/v5/variant/{single}/download", headers=admin.headers)
    assert got.status_code == 200 and Image.open(io.BytesIO(got.content)).size == (440, 440)
    assert got.headers["content-disposition"].startswith("attachment;")

    assert (await api.get("/api/v5/variant/", headers=admin.headers)).status_code == 400
    bad = await api.get(f"/api/v5/variant/?asset_id={wide['id']}&download=x", headers=admin.headers)
    assert bad.status_code == 400

    outsider_scope = await account.scope("license")
    outsider = await account.user(("pam-download-share", outsider_scope))
    assert (await variants_of(api, outsider, wide["id"]))["data"] == []
    assert (await api.get(f"/api/v5/variant/{single}", headers=outsider.headers)).status_code == 403


async def test_isolation(
    api: httpx.AsyncClient,
    make_account: Any,
    account: Account,
    admin: Caller,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    owner_engine: AsyncEngine,
) -> None:
    await empty_jobs(owner_engine)
    lic = await account.scope("license")
    asset = await make_asset(api, admin, lic, "mine.png", image_bytes(600, 600))
    await settle(api, admin, [asset["id"]], settings, sessions)
    variant = (await variants_of(api, admin, asset["id"]))["data"][0]["id"]
    other: Account = await make_account()
    intruder = await other.user(("admin", None))
    assert (await variants_of(api, intruder, asset["id"]))["data"] == []
    for path in (f"/api/v5/variant/{variant}", f"/api/v5/variant/{variant}/download"):
        assert (await api.get(path, headers=intruder.headers)).status_code == 403
    assert (await variants_of(api, admin, asset["id"]))["meta"]["total"] == 3
