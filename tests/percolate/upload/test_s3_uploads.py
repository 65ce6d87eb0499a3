"""The same three-step upload against a real S3 server (SeaweedFS): the policy targets the
bucket, the browser form goes straight to S3, the poll ingests; a tampered form is refused
by S3 itself. ``s3_multipart`` parts go to S3's own presigned part URLs."""

from __future__ import annotations

import hashlib
import os

import botocore.session
import httpx
import pytest
from tests.core.storage.s3_server import S3Server
from tests.percolate.support.accounts import Account, Caller
from tests.percolate.support.library import form_post, image_bytes, policy_for, start_upload

from tenantry.core.storage.multipart import MIN_PART_SIZE

pytestmark = pytest.mark.anyio


async def test_upload_through_s3(
    s3_api: httpx.AsyncClient, account: Account, admin: Caller
) -> None:
    lic = await account.scope("license")
    photo = image_bytes(520, 300, "JPEG")
    upload = await start_upload(s3_api, admin, lic, "photo.jpg", file_size=len(photo))
    policy = await policy_for(s3_api, admin, upload["id"])
    assert policy["url"].startswith("http://127.0.0.1")
    assert "x-amz-signature" in policy["ext"]["fields"]
    async with httpx.AsyncClient() as browser:
        tampered = dict(policy["ext"]["fields"], key="elsewhere/evil.jpg")
        refused = await form_post(browser, {**policy, "ext": {"fields": tampered}}, "e.jpg", photo)
        assert refused.status_code == 403
        too_big = await form_post(browser, policy, "photo.jpg", photo + b"x")
        assert too_big.status_code >= 400
        posted = await form_post(browser, policy, "photo.jpg", photo)
        assert posted.status_code == 204, posted.text
    polled = await s3_api.get(f"/api/v5/upload/{upload['id']}", headers=admin.headers)
    data = polled.json()["data"]
    assert data["status"] == "ready" and data["ext"]["content_type"] == "image/jpeg", data
    download = await s3_api.get(
        f"/api/v5/asset/{data['asset_id']}/download?disposition=inline", headers=admin.headers
    )
    assert download.status_code == 303 and download.headers["cache-control"] == "no-store"
    assert download.headers["content-disposition"] == 'inline; filename="photo.jpg"'
    async with httpx.AsyncClient() as browser:
        fetched = await browser.get(download.headers["location"])
    assert fetched.status_code == 200 and fetched.content == photo


async def test_multipart_through_s3(
    s3_api: httpx.AsyncClient, account: Account, admin: Caller, weed: S3Server
) -> None:
    lic = await account.scope("license")
    data = os.urandom(MIN_PART_SIZE + 1000)
    upload = await start_upload(s3_api, admin, lic, "big.bin", file_size=len(data))
    pieces = (data[:MIN_PART_SIZE], data[MIN_PART_SIZE:])
    async with httpx.AsyncClient() as client:
        for number, piece in enumerate(pieces, 1):
            response = await s3_api.post(
                "/api/v5/upload_policy/",
                json={
                    "upload_id": upload["id"],
                    "type": "s3_multipart",
                    "ext": {"part_number": number, "Content-Length": len(piece)},
                },
                headers=admin.headers,
            )
            assert response.status_code == 201, response.text
            policy = response.json()["data"]
            assert policy["url"].startswith(weed.endpoint_url), policy
            if number == 1:
                forged = policy["url"].replace("X-Amz-Signature=", "X-Amz-Signature=0")
                assert (await client.put(forged, content=piece)).status_code == 403
                bucket, key = policy["ext"]["bucket"], policy["ext"]["key_name"]
                waiting = await s3_api.put(
                    f"/api/v5/upload/{upload['id']}",
                    json={"status": "ready"},
                    headers=admin.headers,
                )
                assert waiting.status_code == 409
            stored = await client.put(policy["url"], content=piece)
            assert stored.status_code == 200 and stored.headers["etag"], stored.text
    polled = await s3_api.get(f"/api/v5/upload/{upload['id']}", headers=admin.headers)
    done = polled.json()["data"]
    assert done["status"] == "ready", done
    assert done["ext"]["file_hash"] == hashlib.md5(data).hexdigest()
    assert done["ext"]["file_size"] == len(data)
    s3 = botocore.session.get_session().create_client(
        "s3",
        endpoint_url=weed.endpoint_url,
        region_name=weed.region,
        aws_access_key_id=weed.access_key,
        aws_secret_access_key=weed.secret_key,
    )
    try:
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == data
        assert not s3.list_multipart_uploads(Bucket=bucket).get("Uploads")
    finally:
        s3.close()
