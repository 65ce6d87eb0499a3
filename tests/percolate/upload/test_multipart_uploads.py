"""``s3_multipart`` on the embedded default: a policy per part, the parts PUT to their signed
URLs on local storage, completion on the poll once the parts hold the declared size, and
the refusals (signature, expiry, other key, sizes, small parts, other tenants) and the
body limit parts are exempt from."""

from __future__ import annotations

import hashlib
import os
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from tests.percolate.support.accounts import Account, Caller
from tests.percolate.support.library import form_post, policy_for, start_upload
from tests.percolate.support.oauth import fresh_address

from tenantry import percolate
from tenantry.app import create_app
from tenantry.core.storage import LocalStorage, PolicyViolation
from tenantry.core.storage.multipart import MIN_PART_SIZE, verify_part
from tenantry.settings import Settings
from tenantry.web.face import WebFace

pytestmark = pytest.mark.anyio
SIZE = MIN_PART_SIZE + 1000


def storage_of(app: FastAPI) -> LocalStorage:
    storage = app.state.platform.storage
    assert isinstance(storage, LocalStorage)
    return storage


async def part_policy(
    api: httpx.AsyncClient, caller: Caller, upload_id: str, **ext: Any
) -> httpx.Response:
    body = {"upload_id": upload_id, "type": "s3_multipart", "ext": ext}
    return await api.post("/api/v5/upload_policy/", json=body, headers=caller.headers)


async def put_part(api: httpx.AsyncClient, url: str, content: bytes) -> httpx.Response:
    parts = urlsplit(url)
    return await api.put(f"{parts.path}?{parts.query}", content=content)


async def test_parts_then_poll(
    api: httpx.AsyncClient, account: Account, admin: Caller, content_app: FastAPI
) -> None:
    lic = await account.scope("license")
    data = os.urandom(SIZE)
    upload = await start_upload(api, admin, lic, "big.bin", file_size=SIZE)
    first = await part_policy(api, admin, upload["id"], part_number=1, **{"Content-Length": 5})
    assert first.status_code == 201, first.text
    policy = first.json()["data"]
    assert policy["type"] == "s3_multipart" and policy["upload_id"] == upload["id"]
    assert policy["ext"]["part_number"] == 1 and policy["ext"]["method"] == "PUT"
    assert policy["ext"]["Content-Length"] == 5
    stored = await put_part(api, policy["url"], data[:MIN_PART_SIZE])
    assert stored.status_code == 200 and stored.headers["etag"], stored.text
    waiting = await api.get(f"/api/v5/upload/{upload['id']}", headers=admin.headers)
    assert waiting.json()["data"]["status"] == "uploading"
    early = await api.put(
        f"/api/v5/upload/{upload['id']}", json={"status": "ready"}, headers=admin.headers
    )
    assert early.status_code == 409 and f"{MIN_PART_SIZE} of the {SIZE}" in early.text

    second = (await part_policy(api, admin, upload["id"], part_number=2)).json()["data"]
    query = dict(parse_qsl(urlsplit(second["url"]).query))
    assert query["uploadId"] == dict(parse_qsl(urlsplit(policy["url"]).query))["uploadId"]
    assert (await put_part(api, second["url"], data[MIN_PART_SIZE:])).status_code == 200
    done = (await api.get(f"/api/v5/upload/{upload['id']}", headers=admin.headers)).json()["data"]
    assert done["status"] == "ready" and done["asset_id"].startswith("asset:"), done
    assert done["ext"]["file_hash"] == hashlib.md5(data).hexdigest()
    assert done["ext"]["file_size"] == SIZE
    storage = storage_of(content_app)
    assert await storage.get(policy["ext"]["key_name"]) == data
    assert not (storage.parts_root / query["uploadId"]).exists()
    again = await part_policy(api, admin, upload["id"], part_number=3)
    assert again.status_code == 400


async def test_part_refusals(
    api: httpx.AsyncClient, account: Account, admin: Caller, content_app: FastAPI
) -> None:
    lic = await account.scope("license")
    upload = await start_upload(api, admin, lic, "big.bin", file_size=SIZE)
    policy = (await part_policy(api, admin, upload["id"])).json()["data"]
    url = urlsplit(policy["url"])
    query = dict(parse_qsl(url.query))
    forged = httpx.QueryParams({**query, "signature": "0" * 64})
    assert (await api.put(f"{url.path}?{forged}", content=b"x")).status_code == 403
    renumbered = httpx.QueryParams({**query, "partNumber": "2"})
    assert (await api.put(f"{url.path}?{renumbered}", content=b"x")).status_code == 403
    elsewhere = url.path.rsplit("/", 1)[0] + "/other.bin"
    assert (await api.put(f"{elsewhere}?{url.query}", content=b"x")).status_code == 403
    unsigned = await api.put(url.path, content=b"x")
    assert unsigned.status_code == 403
    huge = await api.put(
        f"{url.path}?{url.query}", content=b"x", headers={"Content-Length": str(6 * 1024**3)}
    )
    assert huge.status_code == 413
    secret = content_app.state.platform.settings.effective_secret_key
    key = policy["ext"]["key_name"]
    assert verify_part(key, query, secret=secret) == (query["uploadId"], 1)
    with pytest.raises(PolicyViolation, match="expired"):
        verify_part(key, query, secret=secret, now=float(query["expires"]))

    small = await start_upload(api, admin, lic, "small.bin", file_size=MIN_PART_SIZE - 1)
    unsized = await start_upload(api, admin, lic, "unsized.bin")
    for body in (
        {"upload_id": small["id"], "type": "s3_multipart"},
        {"upload_id": unsized["id"], "type": "s3_multipart"},
        {"upload_id": upload["id"], "type": "s3_multipart", "ext": {"part_number": 0}},
        {"upload_id": upload["id"], "type": "s3_multipart", "ext": {"part_number": 10001}},
        {"upload_id": upload["id"], "type": "s3_multipart", "ext": {"Content-Length": -1}},
    ):
        response = await api.post("/api/v5/upload_policy/", json=body, headers=admin.headers)
        assert response.status_code == 400, (body, response.text)
        assert response.json()["errors"], response.text


async def test_bad_parts_become_errors(
    api: httpx.AsyncClient, account: Account, admin: Caller, content_app: FastAPI
) -> None:
    lic = await account.scope("license")
    storage = storage_of(content_app)
    for sizes, reason in (
        ((MIN_PART_SIZE, SIZE - MIN_PART_SIZE + 1), "declared"),
        ((1000, SIZE - 1000), "at least"),
    ):
        upload = await start_upload(api, admin, lic, "big.bin", file_size=SIZE)
        for number, size in enumerate(sizes, 1):
            policy = (await part_policy(api, admin, upload["id"], part_number=number)).json()
            assert (await put_part(api, policy["data"]["url"], b"p" * size)).status_code == 200
        query = dict(parse_qsl(urlsplit(policy["data"]["url"]).query))
        polled = await api.get(f"/api/v5/upload/{upload['id']}", headers=admin.headers)
        data = polled.json()["data"]
        assert data["status"] == "error" and reason in data["error"], data
        assert not (storage.parts_root / query["uploadId"]).exists()
        assert not await storage.exists(policy["data"]["ext"]["key_name"])


async def test_abandoned_parts_go_and_isolation(
    api: httpx.AsyncClient, make_account: Any, account: Account, admin: Caller, content_app: FastAPI
) -> None:
    lic = await account.scope("license")
    upload = await start_upload(api, admin, lic, "big.bin", file_size=SIZE)
    other: Account = await make_account()
    intruder = await other.user(("admin", None))
    refused = await part_policy(api, intruder, upload["id"])
    assert refused.status_code == 403 and refused.json()["errors"]
    policy = (await part_policy(api, admin, upload["id"])).json()["data"]
    assert (await put_part(api, policy["url"], b"p" * 1000)).status_code == 200
    upload_dir = (
        storage_of(content_app).parts_root
        / dict(parse_qsl(urlsplit(policy["url"]).query))["uploadId"]
    )
    assert upload_dir.exists()
    given_up = await api.put(
        f"/api/v5/upload/{upload['id']}", json={"status": "error"}, headers=admin.headers
    )
    assert given_up.status_code in (200, 204), given_up.text
    assert not upload_dir.exists()
    late = await put_part(api, policy["url"], b"p")
    assert late.status_code == 404


async def test_parts_pass_the_body_limit(
    api: httpx.AsyncClient, account: Account, admin: Caller, settings: Settings
) -> None:
    """A part streams to storage under its own 5 GiB limit, not the routes' body limit."""
    tight = settings.model_copy(
        update={"allow_private_webhooks": True, "max_body_bytes": 1024 * 1024}
    )
    application = create_app(tight, faces=[WebFace(), percolate.face])
    lic = await account.scope("license")
    upload = await start_upload(api, admin, lic, "big.bin", file_size=SIZE)
    policy = (await part_policy(api, admin, upload["id"])).json()["data"]
    async with LifespanManager(application):
        transport = httpx.ASGITransport(app=application, client=fresh_address())
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as small:
            stored = await put_part(small, policy["url"], b"p" * MIN_PART_SIZE)
            assert stored.status_code == 200, stored.text
            refused = await small.post(
                "/api/v5/upload/", content=b"x" * (2 * 1024 * 1024), headers=admin.headers
            )
            assert refused.status_code == 413


async def test_form_post_wins_over_parts(
    api: httpx.AsyncClient, account: Account, admin: Caller, content_app: FastAPI
) -> None:
    """A file that arrives by the form POST is ingested; the parts started are dropped."""
    lic = await account.scope("license")
    data = os.urandom(SIZE)
    upload = await start_upload(api, admin, lic, "big.bin", file_size=SIZE)
    part = (await part_policy(api, admin, upload["id"])).json()["data"]
    assert (await put_part(api, part["url"], data[:MIN_PART_SIZE])).status_code == 200
    staged = (
        storage_of(content_app).parts_root
        / dict(parse_qsl(urlsplit(part["url"]).query))["uploadId"]
    )
    assert staged.exists()
    posted = await form_post(api, await policy_for(api, admin, upload["id"]), "big.bin", data)
    assert posted.status_code == 204, posted.text
    done = (await api.get(f"/api/v5/upload/{upload['id']}", headers=admin.headers)).json()["data"]
    assert done["status"] == "ready" and done["ext"]["file_hash"] == hashlib.md5(data).hexdigest()
    assert not staged.exists()
