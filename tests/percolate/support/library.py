"""Helpers of the media library tests: images, the three-step upload, a job worker."""

from __future__ import annotations

import asyncio
import io
import struct
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import httpx
from PIL import Image
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from tests.percolate.support.accounts import Account, Caller

from tenantry.core.jobs import JobHandlers
from tenantry.core.jobs.model import Job
from tenantry.core.jobs.queue import Backoff
from tenantry.core.jobs.worker import Worker
from tenantry.core.tenancy import tenant_session
from tenantry.percolate.asset.models import Asset
from tenantry.settings import Settings


def image_bytes(
    width: int = 800, height: int = 600, fmt: str = "PNG", color: str = "teal", **save: Any
) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, fmt, **save)
    return out.getvalue()


def png_header(width: int, height: int) -> bytes:
    """A PNG that declares ``width`` x ``height`` pixels and holds almost nothing."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


async def start_upload(
    api: httpx.AsyncClient, caller: Caller, scope: str, filename: str, **ext: Any
) -> dict[str, Any]:
    destination = ext.pop("destination_id", None)
    body = {"scope_id": scope, "type": "file", "ext": {"filename": filename, **ext}}
    if destination:
        body["destination_id"] = destination
    response = await api.post("/api/v5/upload/", json=body, headers=caller.headers)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def policy_for(api: httpx.AsyncClient, caller: Caller, upload_id: str) -> dict[str, Any]:
    response = await api.post(
        "/api/v5/upload_policy/",
        json={"upload_id": upload_id, "type": "s3"},
        headers=caller.headers,
    )
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def form_post(
    client: httpx.AsyncClient, policy: dict[str, Any], filename: str, content: bytes
) -> httpx.Response:
    """Step 3, as a browser does it: the policy's fields in order, then the file."""
    url = policy["url"]
    in_process = client.base_url.host not in ("", urlsplit(url).hostname)
    target = urlsplit(url).path if in_process else url
    return await client.post(
        target,
        data=policy["ext"]["fields"],
        files={"file": (filename, content, "application/octet-stream")},
    )


async def upload_file(
    api: httpx.AsyncClient, caller: Caller, scope: str, filename: str, content: bytes, **ext: Any
) -> dict[str, Any]:
    """The three steps and a poll: the settled upload."""
    upload = await start_upload(api, caller, scope, filename, **ext)
    policy = await policy_for(api, caller, upload["id"])
    posted = await form_post(api, policy, filename, content)
    assert posted.status_code == 204, posted.text
    polled = await api.get(f"/api/v5/upload/{upload['id']}", headers=caller.headers)
    assert polled.status_code == 200, polled.text
    data: dict[str, Any] = polled.json()["data"]
    return data


async def empty_jobs(owner_engine: AsyncEngine) -> None:
    async with owner_engine.begin() as connection:
        await connection.execute(delete(Job))


@asynccontextmanager
async def worker(
    settings: Settings, sessions: async_sessionmaker[AsyncSession], handlers: JobHandlers
) -> AsyncIterator[None]:
    running = Worker(
        settings,
        sessions,
        handlers,
        concurrency=2,
        poll_interval=0.05,
        backoff=Backoff(base=0.01, cap=0.05),
        grace_period=0.5,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(running.run(stop))
    try:
        yield
    finally:
        stop.set()
        await task


async def stored_assets(account: Account, scope: str, count: int) -> list[str]:
    """``count`` assets in ``scope`` written straight to the table (no bytes behind them):
    for tests that only need ids that exist."""
    async with tenant_session(account.sessions, account.tenant_id) as session:
        made = [
            Asset(
                scope_id=int(scope.split(":")[1]),
                type="image",
                content_type="image/png",
                filename=f"stock-{index}.png",
                storage_key=f"stock/{index}.png",
            )
            for index in range(count)
        ]
        session.add_all(made)
        await session.flush()
        return [f"asset:{asset.id}" for asset in made]
