"""``type: url`` uploads over a real socket: the fetch job stores and ingests the file,
redirects are followed (and checked again), an endless stream is cut at the cap."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from tests.percolate.support.accounts import Account, Caller
from tests.percolate.support.library import empty_jobs, image_bytes, worker

from tenantry.core.jobs import JobHandlers
from tenantry.core.storage import LocalStorage
from tenantry.percolate.upload import jobs
from tenantry.percolate.upload.fetch import FetchFailed, fetch_into
from tenantry.settings import Settings

pytestmark = pytest.mark.anyio
PHOTO = image_bytes(640, 640, "PNG", color="orange")


class Files(BaseHTTPRequestHandler):
    def log_message(self, *_args: Any) -> None:
        pass

    def do_GET(self) -> None:
        if self.path == "/photo.png":
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(PHOTO)))
            self.end_headers()
            self.wfile.write(PHOTO)
        elif self.path == "/moved":
            self.send_response(302)
            self.send_header("Location", "/photo.png")
            self.end_headers()
        elif self.path == "/endless":
            self.send_response(200)
            self.end_headers()
            try:
                for _ in range(100_000):
                    self.wfile.write(b"x" * 65536)
            except (BrokenPipeError, ConnectionResetError):
                pass
        else:
            self.send_response(404)
            self.end_headers()


@pytest.fixture
def files_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Files)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


async def test_url_upload_job(
    api: httpx.AsyncClient,
    account: Account,
    admin: Caller,
    files_server: str,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    owner_engine: AsyncEngine,
) -> None:
    await empty_jobs(owner_engine)
    lic = await account.scope("license")
    made = await api.post(
        "/api/v5/upload/",
        json={"scope_id": lic, "type": "url", "ext": {"url": f"{files_server}/moved"}},
        headers=admin.headers,
    )
    assert made.status_code == 201, made.text
    upload = made.json()["data"]
    missing = await api.post(
        "/api/v5/upload/",
        json={"scope_id": lic, "type": "url", "ext": {"url": f"{files_server}/nothing"}},
        headers=admin.headers,
    )
    handlers = JobHandlers()
    handlers.register(jobs.FETCH_JOB)(jobs.fetch_upload)
    handlers.register(jobs.EXPIRE_JOB)(jobs.expire_upload)
    private = settings.model_copy(update={"allow_private_webhooks": True})
    shown: dict[str, Any] = {}
    async with worker(private, sessions, handlers):
        for _ in range(200):
            shown = (await api.get(f"/api/v5/upload/{upload['id']}", headers=admin.headers)).json()
            failed = (
                await api.get(
                    f"/api/v5/upload/{missing.json()['data']['id']}", headers=admin.headers
                )
            ).json()
            if shown["data"]["status"] != "uploading" and failed["data"]["status"] != "uploading":
                break
            await asyncio.sleep(0.05)
    assert shown["data"]["status"] == "ready", shown
    assert shown["data"]["ext"]["content_type"] == "image/png"
    assert failed["data"]["status"] == "error" and "404" in failed["data"]["error"]


async def test_endless_stream_is_cut(files_server: str, tmp_path: Any) -> None:
    storage = LocalStorage(tmp_path / "files", secret_key="s" * 40, base_url="http://x")
    with pytest.raises(FetchFailed, match="larger than"):
        await fetch_into(
            f"{files_server}/endless", storage, "cut/file", allow_private=True, cap=1_000_000
        )
    assert not await storage.exists("cut/file")
    assert list((tmp_path / "files").rglob("*.tmp")) == []
    fetched = await fetch_into(f"{files_server}/moved", storage, "ok/file", allow_private=True)
    assert fetched == "image/png" and await storage.get("ok/file") == PHOTO
