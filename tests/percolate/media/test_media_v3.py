"""The deprecated v3 media API on the v5 store: search, folders, contents, move, download,
metadata, id translation, refusals and isolation."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from tests.percolate.asset.test_assets import make_asset
from tests.percolate.support.accounts import Account, Caller
from tests.percolate.support.library import image_bytes

pytestmark = pytest.mark.anyio


async def test_v3_media(api: httpx.AsyncClient, account: Account, admin: Caller) -> None:
    lic = await account.scope("license")
    number = lic.split(":")[1]
    made = await api.post(
        "/api/v3/media",
        json={"type": "folder", "name": "Campaign", "license_id": int(number)},
        headers=admin.headers,
    )
    assert made.status_code == 201, made.text
    folder = made.json()
    assert folder["uid"].startswith("folder:") and folder["type"] == "folder"
    assert folder["metadata"]["owner_uid"] == f"license:{number}"
    photo = await make_asset(api, admin, lic, "photo.png", image_bytes(300, 200))
    pdf = await make_asset(api, admin, lic, "brief.pdf", b"%PDF-1.4 brief")
    image_uid = f"license:{number}:image:{photo['id'].split(':')[1]}"
    video_uid = f"video:{pdf['id'].split(':')[1]}"

    found = await api.get(f"/api/v3/media?index_license_id={number}", headers=admin.headers)
    assert found.status_code == 200, found.text
    body = found.json()
    assert body["pagination"]["total"] == 3 and "facets" in body
    uids = {item["uid"] for item in body["data"]}
    assert uids == {folder["uid"], image_uid, video_uid}
    image = next(item for item in body["data"] if item["uid"] == image_uid)
    assert image["type"] == "image" and image["width"] == 300.0 and image["format"] == "png"
    assert image["images"]["original"]["width"] == 300
    other = next(item for item in body["data"] if item["uid"] == video_uid)
    assert other["type"] == "video" and other["formats"][0]["content_type"] == "application/pdf"
    only = await api.get(
        f"/api/v3/media?index_license_id={number}&type=image&hide_facets=true",
        headers=admin.headers,
    )
    assert [i["uid"] for i in only.json()["data"]] == [image_uid] and "facets" not in only.json()
    typed = await api.get(
        f"/api/v3/media?index_license_id={number}&content_type=image/*", headers=admin.headers
    )
    assert [i["uid"] for i in typed.json()["data"]] == [image_uid]
    paged = await api.get(
        f"/api/v3/media?index_license_id={number}&limit=1&offset=1&order_by=name&order_direction=asc",
        headers=admin.headers,
    )
    assert len(paged.json()["data"]) == 1 and paged.json()["pagination"]["total"] == 3

    moved = await api.post(
        f"/api/v3/media/{folder['uid']}", json={"uids": [image_uid]}, headers=admin.headers
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["data"][0]["metadata"]["path"] == [folder["uid"]]
    contents = await api.get(f"/api/v3/media/{folder['uid']}", headers=admin.headers)
    assert [i["uid"] for i in contents.json()["data"]] == [image_uid]
    item = await api.get(f"/api/v3/media/{image_uid}", headers=admin.headers)
    assert item.json()["metadata"]["name_path"] == ["Campaign"]
    assert (await api.get(f"/api/v3/media/{photo['id']}", headers=admin.headers)).status_code == 200

    changed = await api.put(
        f"/api/v3/media/{video_uid}/metadata",
        json={"title": "Brief", "tags": ["launch", "launch", "q3"]},
        headers=admin.headers,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["title"] == "Brief" and changed.json()["tags"] == ["launch", "q3"]
    meta = await api.get(f"/api/v3/media/{video_uid}/metadata", headers=admin.headers)
    assert meta.json()["data"]["tags"] == ["launch", "q3"]
    facets = await api.get(f"/api/v3/media?index_license_id={number}", headers=admin.headers)
    assert facets.json()["facets"]["tags"] == {"launch": 1, "q3": 1}
    cleared = await api.delete(f"/api/v3/media/{video_uid}/metadata", headers=admin.headers)
    assert cleared.status_code == 204

    download = await api.get(
        f"/api/v3/media/{image_uid}/download?license_id={number}&image_size=original",
        headers=admin.headers,
    )
    assert download.status_code == 200 and download.content.startswith(b"\x89PNG")

    for bad in (
        "/api/v3/media",
        f"/api/v3/media?index_license_id={number}&type=song",
        f"/api/v3/media?index_license_id={number}&order_by=size",
        "/api/v3/media/post:1",
        f"/api/v3/media/{image_uid}/download?image_size=huge",
    ):
        assert (await api.get(bad, headers=admin.headers)).status_code == 400, bad


async def test_v3_isolation_and_capabilities(
    api: httpx.AsyncClient, make_account: Any, account: Account, admin: Caller
) -> None:
    lic = await account.scope("license")
    number = lic.split(":")[1]
    photo = await make_asset(api, admin, lic, "p.png", image_bytes(50, 50))
    uid = f"license:{number}:image:{photo['id'].split(':')[1]}"
    viewer = await account.user(("pam-download-share", lic))
    refused = await api.put(
        f"/api/v3/media/{uid}/metadata", json={"title": "x"}, headers=viewer.headers
    )
    assert refused.status_code == 403
    other: Account = await make_account()
    intruder = await other.user(("admin", None))
    mine = (await other.scope("license")).split(":")[1]
    folder = (
        await api.post(
            "/api/v3/media",
            json={"type": "folder", "name": "Mine", "license_id": int(mine)},
            headers=intruder.headers,
        )
    ).json()
    for method, path, body in (
        ("GET", f"/api/v3/media?index_license_id={number}", None),
        ("GET", f"/api/v3/media/{uid}", None),
        ("GET", f"/api/v3/media/{uid}/download", None),
        ("GET", f"/api/v3/media/{uid}/metadata", None),
        ("PUT", f"/api/v3/media/{uid}/metadata", {"title": "taken"}),
        ("DELETE", f"/api/v3/media/{uid}/metadata", None),
        ("POST", f"/api/v3/media/{folder['uid']}", {"uids": [uid]}),
        ("POST", "/api/v3/media", {"type": "folder", "name": "In", "license_id": int(number)}),
    ):
        response = await api.request(method, path, json=body, headers=intruder.headers)
        assert response.status_code == 403, (method, path, response.text)
    after = (await api.get(f"/api/v5/asset/{photo['id']}", headers=admin.headers)).json()
    assert after["data"]["title"] == "p.png" and after["data"]["folder_id"] == "folder:0"
