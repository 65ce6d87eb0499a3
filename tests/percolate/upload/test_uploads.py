"""Uploads and upload policies on the embedded default: the browser form POST to local
storage, polling, duplicates, refusals (signature, size, prefix, expiry, image bombs), the
expiry job, URL uploads, capabilities and isolation."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from tests.percolate.support.accounts import Account, Caller
from tests.percolate.support.library import (
    empty_jobs,
    form_post,
    image_bytes,
    png_header,
    policy_for,
    start_upload,
    upload_file,
    worker,
)

from tenantry.core.base import utcnow
from tenantry.core.jobs import JobHandlers, enqueue
from tenantry.core.storage import LocalStorage, PolicyViolation, verify_post_policy
from tenantry.core.tenancy import tenant_session
from tenantry.percolate.upload import jobs
from tenantry.percolate.upload.fetch import FetchFailed, fetch_into
from tenantry.percolate.upload.models import Upload
from tenantry.settings import Settings

pytestmark = pytest.mark.anyio


def storage_of(app: FastAPI) -> LocalStorage:
    storage = app.state.platform.storage
    assert isinstance(storage, LocalStorage)
    return storage


async def test_three_steps_then_duplicate(
    api: httpx.AsyncClient, account: Account, admin: Caller, content_app: FastAPI
) -> None:
    lic = await account.scope("license")
    photo = image_bytes(800, 600, "JPEG")
    upload = await start_upload(api, admin, lic, "IMG 0446.JPG", content_type="image/jpeg")
    assert upload["status"] == "uploading" and upload["type"] == "file"
    assert upload["destination_id"] == "folder:primary" and upload["asset_id"] is None
    policy = await policy_for(api, admin, upload["id"])
    assert policy["id"].startswith("upload_policy:") and policy["upload_id"] == upload["id"]
    fields = policy["ext"]["fields"]
    assert fields["key"] == policy["ext"]["key_name"] and "policy" in fields
    conditions = json.loads(base64.b64decode(fields["policy"]))["conditions"]
    assert ["starts-with", "$key", fields["key"].rsplit("/", 1)[0] + "/"] in conditions
    waiting = await api.get(f"/api/v5/upload/{upload['id']}", headers=admin.headers)
    assert waiting.json()["data"]["status"] == "uploading"
    early = await api.put(
        f"/api/v5/upload/{upload['id']}", json={"status": "ready"}, headers=admin.headers
    )
    assert early.status_code == 409
    posted = await form_post(api, policy, "IMG 0446.JPG", photo)
    assert posted.status_code == 204, posted.text
    done = (await api.get(f"/api/v5/upload/{upload['id']}", headers=admin.headers)).json()["data"]
    assert done["status"] == "ready" and done["asset_id"].startswith("asset:")
    assert done["ext"]["file_hash"] == hashlib.md5(photo).hexdigest()
    assert done["ext"]["file_size"] == len(photo) and done["ext"]["content_type"] == "image/jpeg"
    assert await storage_of(content_app).exists(fields["key"])

    again = await upload_file(api, admin, lic, "copy.jpg", photo)
    assert again["status"] == "duplicate" and again["asset_id"] == done["asset_id"]
    known = await start_upload(
        api, admin, lic, "third.jpg", file_hash=hashlib.md5(photo).hexdigest()
    )
    assert known["status"] == "duplicate" and known["asset_id"] == done["asset_id"]
    elsewhere = await upload_file(api, admin, await account.scope("license"), "x.jpg", photo)
    assert elsewhere["status"] == "ready" and elsewhere["asset_id"] != done["asset_id"]


async def test_policy_refusals_leave_nothing(
    api: httpx.AsyncClient, account: Account, admin: Caller, content_app: FastAPI
) -> None:
    lic = await account.scope("license")
    storage = storage_of(content_app)
    upload = await start_upload(api, admin, lic, "small.png", file_size=100)
    policy = await policy_for(api, admin, upload["id"])
    key = policy["ext"]["fields"]["key"]
    too_big = await form_post(api, policy, "small.png", b"x" * 101)
    assert too_big.status_code == 403 and "allows" in too_big.text
    tampered = {**policy, "ext": {**policy["ext"], "fields": dict(policy["ext"]["fields"])}}
    tampered["ext"]["fields"]["x-tenantry-signature"] = "0" * 64
    assert (await form_post(api, tampered, "small.png", b"x")).status_code == 403
    outside = {**policy, "ext": {**policy["ext"], "fields": dict(policy["ext"]["fields"])}}
    outside["ext"]["fields"]["key"] = "uploads/elsewhere/evil.png"
    assert (await form_post(api, outside, "small.png", b"x")).status_code == 403
    no_file = await api.post("/files", data=policy["ext"]["fields"])
    assert no_file.status_code == 400
    huge = await api.post("/files", content=b"x", headers={"Content-Length": str(10 * 1024**3)})
    assert huge.status_code == 413

    async def chunked() -> AsyncIterator[bytes]:
        yield b"--x\r\n"

    unsized = await api.post("/files", content=chunked())
    assert unsized.status_code == 411
    assert not await storage.exists(key)
    assert not await storage.exists("uploads/elsewhere/evil.png")
    with pytest.raises(PolicyViolation, match="expired"):
        verify_post_policy(
            policy["ext"]["fields"],
            key,
            1,
            None,
            secret=content_app.state.platform.settings.effective_secret_key,
            now=utcnow().timestamp() + 3600,
        )
    # bad bodies
    for body in (
        {"upload_id": upload["id"], "type": "ftp"},
        {"upload_id": "post:1", "type": "s3"},
        {"upload_id": upload["id"], "type": "s3_multipart"},
    ):
        response = await api.post("/api/v5/upload_policy/", json=body, headers=admin.headers)
        assert response.status_code == 400, (body, response.text)
    for body in (
        {"scope_id": lic, "type": "file"},
        {"scope_id": lic, "type": "url"},
        {"scope_id": lic, "type": "file", "ext": {"filename": "a", "file_hash": "zz"}},
        {"scope_id": lic, "type": "disk", "ext": {"filename": "a"}},
    ):
        response = await api.post("/api/v5/upload/", json=body, headers=admin.headers)
        assert response.status_code == 400, (body, response.text)


async def test_image_bomb_is_an_error(
    api: httpx.AsyncClient, account: Account, admin: Caller, content_app: FastAPI
) -> None:
    lic = await account.scope("license")
    bomb = await upload_file(api, admin, lic, "bomb.png", png_header(50000, 50000))
    assert bomb["status"] == "error" and "pixels" in bomb["error"]
    assert bomb["asset_id"] is None
    policy_key = f"uploads/{account.tenant_id}/{bomb['id'].split(':')[1]}/bomb.png"
    assert not await storage_of(content_app).exists(policy_key)
    fake = await upload_file(api, admin, lic, "fake.png", b"<script>alert(1)</script>")
    assert fake["status"] == "ready" and fake["ext"]["content_type"] != "image/png"


async def test_expiry_job(
    api: httpx.AsyncClient,
    account: Account,
    admin: Caller,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    owner_engine: AsyncEngine,
    content_app: FastAPI,
) -> None:
    await empty_jobs(owner_engine)
    lic = await account.scope("license")
    upload = await start_upload(api, admin, lic, "late.bin")
    policy = await policy_for(api, admin, upload["id"])
    key = policy["ext"]["fields"]["key"]
    key_number = int(upload["id"].split(":")[1])
    async with tenant_session(sessions, account.tenant_id) as session:
        await session.execute(
            update(Upload)
            .where(Upload.id == key_number)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        await enqueue(
            session, jobs.EXPIRE_JOB, {"upload_id": key_number}, tenant_id=account.tenant_id
        )
    await form_post(api, policy, "late.bin", b"too late")
    handlers = JobHandlers()
    handlers.register(jobs.EXPIRE_JOB)(jobs.expire_upload)
    storage = storage_of(content_app)
    async with worker(settings, sessions, handlers):
        for _ in range(100):
            async with tenant_session(sessions, account.tenant_id) as session:
                found = await session.get(Upload, (account.tenant_id, key_number))
                assert found is not None
                if found.status != "uploading":
                    break
            await asyncio.sleep(0.05)
    polled = (await api.get(f"/api/v5/upload/{upload['id']}", headers=admin.headers)).json()
    assert polled["data"]["status"] == "error" and polled["data"]["error"] == "The upload expired."
    assert not await storage.exists(key)


async def test_url_fetch_guard_and_cap(content_app: FastAPI, tmp_path: Any) -> None:
    storage = LocalStorage(tmp_path, secret_key="s" * 40, base_url="http://x")
    with pytest.raises(FetchFailed, match=r"private|loopback|cannot be fetched"):
        await fetch_into("http://127.0.0.1:9/x", storage, "a/b", allow_private=False)
    with pytest.raises(FetchFailed):
        await fetch_into("ftp://example.org/x", storage, "a/b", allow_private=False)
    assert not await storage.exists("a/b")


async def test_capabilities_and_isolation(
    api: httpx.AsyncClient, make_account: Any, account: Account, admin: Caller
) -> None:
    lic = await account.scope("license")
    upload = await start_upload(api, admin, lic, "mine.txt")
    viewer = await account.user(("pam-download-share", lic))
    refused = await api.post(
        "/api/v5/upload/",
        json={"scope_id": lic, "type": "file", "ext": {"filename": "x"}},
        headers=viewer.headers,
    )
    assert refused.status_code == 403
    assert (
        await api.get(f"/api/v5/upload/{upload['id']}", headers=viewer.headers)
    ).status_code == 403
    other: Account = await make_account()
    intruder = await other.user(("admin", None))
    for method, path, body in (
        ("GET", f"/api/v5/upload/{upload['id']}", None),
        ("PUT", f"/api/v5/upload/{upload['id']}", {"status": "error"}),
        ("POST", "/api/v5/upload_policy/", {"upload_id": upload["id"], "type": "s3"}),
        ("POST", "/api/v5/upload/", {"scope_id": lic, "type": "file", "ext": {"filename": "x"}}),
    ):
        response = await api.request(method, path, json=body, headers=intruder.headers)
        assert response.status_code == 403, (method, path, response.text)
    listed = await api.get("/api/v5/upload/", headers=intruder.headers)
    assert listed.json()["data"] == []
    still = (await api.get(f"/api/v5/upload/{upload['id']}", headers=admin.headers)).json()
    assert still["data"]["status"] == "uploading"
