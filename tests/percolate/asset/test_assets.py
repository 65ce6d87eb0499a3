"""Assets: the object and its ext, every list filter, copy, the one-property PUT, trash and
restore (with folders), downloads with disposition and ranges, capabilities, isolation."""

from __future__ import annotations

import io
from typing import Any

import httpx
import pytest
from PIL import Image
from tests.percolate.support.accounts import Account, Caller
from tests.percolate.support.library import image_bytes, upload_file

pytestmark = pytest.mark.anyio


async def make_asset(
    api: httpx.AsyncClient, caller: Caller, scope: str, filename: str, content: bytes, **ext: Any
) -> dict[str, Any]:
    upload = await upload_file(api, caller, scope, filename, content, **ext)
    assert upload["status"] == "ready", upload
    response = await api.get(f"/api/v5/asset/{upload['asset_id']}", headers=caller.headers)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def listed(api: httpx.AsyncClient, caller: Caller, query: str) -> list[str]:
    response = await api.get(f"/api/v5/asset/?{query}", headers=caller.headers)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["data"]]


def exif_photo() -> bytes:
    image = Image.new("RGB", (400, 300), "navy")
    exif = Image.Exif()
    exif[0x010F] = "Apple"  # Make
    exif[0x0110] = "iPhone 6"  # Model
    exif[0x0112] = 6  # Orientation: rotated, so displayed 300x400
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


async def test_object_filters_and_order(
    api: httpx.AsyncClient, account: Account, admin: Caller
) -> None:
    lic = await account.scope("license")
    folder = (
        await api.post(
            "/api/v5/folder/", json={"name": "Shots", "scope_id": lic}, headers=admin.headers
        )
    ).json()["data"]
    wide = await make_asset(api, admin, lic, "wide beach.png", image_bytes(1600, 900))
    photo = await make_asset(api, admin, lic, "IMG_0446.JPG", exif_photo())
    square = await make_asset(
        api, admin, lic, "logo.png", image_bytes(64, 64), destination_id=folder["id"]
    )
    pdf = await make_asset(api, admin, lic, "brief.pdf", b"%PDF-1.4 hello")
    assert wide["type"] == "image" and wide["content_type"] == "image/png"
    assert wide["ext"]["dimensions"] == {"width": 1600, "height": 900, "unit": "pixels"}
    assert wide["ext"]["orientation"] == "landscape" and wide["folder_id"] == "folder:0"
    assert photo["ext"]["dimensions"]["width"] == 300 and photo["ext"]["orientation"] == "portrait"
    assert photo["ext"]["device_maker"] == "Apple" and photo["ext"]["device_model"] == "iPhone 6"
    assert pdf["type"] == "pdf" and pdf["ext"] == {} and pdf["creator_id"] == admin.wire
    assert square["folder_id"] == folder["id"]
    base = f"scope_ids={lic}"
    assert sorted(await listed(api, admin, base)) == sorted([wide["id"], photo["id"], pdf["id"]])
    assert await listed(api, admin, f"{base}&folder_id={folder['id']}") == [square["id"]]
    assert len(await listed(api, admin, f"{base}&recursive=true")) == 4
    assert await listed(api, admin, f"{base}&types=pdf") == [pdf["id"]]
    assert await listed(api, admin, f"{base}&content_types=application/pdf") == [pdf["id"]]
    assert await listed(api, admin, f"{base}&orientation=portrait") == [photo["id"]]
    assert await listed(api, admin, f"{base}&recursive=true&orientation=square") == [square["id"]]
    assert sorted(await listed(api, admin, f"{base}&recursive=true&size=small")) == sorted(
        [photo["id"], square["id"]]
    )
    assert await listed(api, admin, f"{base}&size=large") == [wide["id"]]
    assert await listed(api, admin, f"{base}&keywords=BEACH") == [wide["id"]]
    assert await listed(api, admin, f"{base}&keywords=100%25") == []
    assert sorted(await listed(api, admin, f"{base}&creator_ids={admin.wire}&types=image")) == (
        sorted([photo["id"], wide["id"]])
    )
    by_size = await listed(api, admin, f"{base}&order_by=size&order_direction=asc")
    assert by_size[0] == pdf["id"]
    by_name = await listed(api, admin, f"{base}&order_by=filename&order_direction=asc")
    assert by_name == [photo["id"], pdf["id"], wide["id"]]
    included = await api.get(
        f"/api/v5/asset/?{base}&folder_id={folder['id']}&include=folder_id,creator_id",
        headers=admin.headers,
    )
    assert included.json()["include"]["folder"][0]["id"] == folder["id"]
    assert included.json()["include"]["user"][0]["id"] == admin.wire
    for bad in ("types=movie", "orientation=round", "size=huge", "folder_id=folder:x"):
        assert (await api.get(f"/api/v5/asset/?{bad}", headers=admin.headers)).status_code == 400


async def test_copy_put_trash_restore(
    api: httpx.AsyncClient, account: Account, admin: Caller
) -> None:
    lic = await account.scope("license")
    folder = (
        await api.post(
            "/api/v5/folder/", json={"name": "F", "scope_id": lic}, headers=admin.headers
        )
    ).json()["data"]
    asset = await make_asset(api, admin, lic, "a.png", image_bytes(100, 50))
    copied = await api.post(
        "/api/v5/asset/",
        json={"copy_from_id": asset["id"], "folder_id": folder["id"]},
        headers=admin.headers,
    )
    assert copied.status_code == 201, copied.text
    copy = copied.json()["data"]
    assert copy["id"] != asset["id"] and copy["filename"] == "a.png"
    assert copy["folder_id"] == folder["id"] and copy["ext"] == asset["ext"]
    original = await api.get(f"/api/v5/asset/{asset['id']}/download", headers=admin.headers)
    duplicate = await api.get(f"/api/v5/asset/{copy['id']}/download", headers=admin.headers)
    assert original.content == duplicate.content

    two = await api.put(
        f"/api/v5/asset/{asset['id']}",
        json={"filename": "b.png", "folder_id": folder["id"]},
        headers=admin.headers,
    )
    assert two.status_code == 400
    none = await api.put(f"/api/v5/asset/{asset['id']}", json={}, headers=admin.headers)
    assert none.status_code == 400
    renamed = await api.put(
        f"/api/v5/asset/{asset['id']}", json={"filename": "b.png"}, headers=admin.headers
    )
    assert renamed.json()["data"]["filename"] == "b.png"
    moved = await api.put(
        f"/api/v5/asset/{asset['id']}", json={"folder_id": folder["id"]}, headers=admin.headers
    )
    assert moved.json()["data"]["folder_id"] == folder["id"]
    assert (
        await api.delete(f"/api/v5/asset/{asset['id']}", headers=admin.headers)
    ).status_code == 204
    assert await listed(api, admin, f"scope_ids={lic}&folder_id=folder:trashcan") == [asset["id"]]
    restored = await api.put(
        f"/api/v5/asset/{asset['id']}", json={"deleted": False}, headers=admin.headers
    )
    assert restored.json()["data"]["deleted"] is False
    assert restored.json()["data"]["folder_id"] == folder["id"]
    # a folder's delete takes its assets along, its restore brings them back
    assert (
        await api.delete(f"/api/v5/folder/{folder['id']}", headers=admin.headers)
    ).status_code == 204
    gone = (await api.get(f"/api/v5/asset/{copy['id']}", headers=admin.headers)).json()["data"]
    assert gone["deleted"] is True
    assert await listed(api, admin, f"scope_ids={lic}&folder_id=folder:trashcan") == []
    await api.put(f"/api/v5/folder/{folder['id']}", json={"deleted": False}, headers=admin.headers)
    assert sorted(await listed(api, admin, f"folder_id={folder['id']}")) == sorted(
        [asset["id"], copy["id"]]
    )
    counted = (await api.get(f"/api/v5/folder/{folder['id']}", headers=admin.headers)).json()
    assert counted["data"]["asset_count"] == 2


async def test_download_disposition_and_range(
    api: httpx.AsyncClient, account: Account, admin: Caller
) -> None:
    lic = await account.scope("license")
    content = bytes(range(256)) * 40
    asset = await make_asset(api, admin, lic, "données.bin", content)
    path = f"/api/v5/asset/{asset['id']}/download"
    whole = await api.get(path, headers=admin.headers)
    assert whole.status_code == 200 and whole.content == content
    assert whole.headers["content-disposition"].startswith('attachment; filename="donn_es.bin"')
    assert "filename*=UTF-8''donn%C3%A9es.bin" in whole.headers["content-disposition"]
    inline = await api.get(f"{path}?disposition=inline", headers=admin.headers)
    assert inline.headers["content-disposition"].startswith("inline;")
    part = await api.get(path, headers={**admin.headers, "Range": "bytes=10-19"})
    assert part.status_code == 206 and part.content == content[10:20]
    assert part.headers["content-range"] == f"bytes 10-19/{len(content)}"
    tail = await api.get(path, headers={**admin.headers, "Range": "bytes=-5"})
    assert tail.content == content[-5:]
    past = await api.get(path, headers={**admin.headers, "Range": f"bytes={len(content)}-"})
    assert past.status_code == 416
    bad = await api.get(f"{path}?disposition=evil", headers=admin.headers)
    assert bad.status_code == 400


async def test_capabilities_and_isolation(
    api: httpx.AsyncClient, make_account: Any, account: Account, admin: Caller
) -> None:
    lic = await account.scope("license")
    asset = await make_asset(api, admin, lic, "secret.png", image_bytes(20, 20))
    viewer = await account.user(("pam-download-share", lic))
    assert await listed(api, viewer, f"scope_ids={lic}") == [asset["id"]]
    assert (
        await api.get(f"/api/v5/asset/{asset['id']}/download", headers=viewer.headers)
    ).status_code == 200
    for method, path, body in (
        ("PUT", f"/api/v5/asset/{asset['id']}", {"filename": "x"}),
        ("DELETE", f"/api/v5/asset/{asset['id']}", None),
        ("POST", "/api/v5/asset/", {"copy_from_id": asset["id"], "scope_id": lic}),
    ):
        response = await api.request(method, path, json=body, headers=viewer.headers)
        assert response.status_code == 403, (method, path, response.text)
    other: Account = await make_account()
    intruder = await other.user(("admin", None))
    mine = await other.scope("license")
    for method, path, body in (
        ("GET", f"/api/v5/asset/{asset['id']}", None),
        ("GET", f"/api/v5/asset/{asset['id']}/download", None),
        ("PUT", f"/api/v5/asset/{asset['id']}", {"filename": "x"}),
        ("PUT", f"/api/v5/asset/{asset['id']}", {"deleted": True}),
        ("DELETE", f"/api/v5/asset/{asset['id']}", None),
        ("POST", "/api/v5/asset/", {"copy_from_id": asset["id"], "scope_id": mine}),
    ):
        response = await api.request(method, path, json=body, headers=intruder.headers)
        assert response.status_code == 403, (method, path, response.text)
    assert await listed(api, intruder, f"ids={asset['id']}") == []
    after = (await api.get(f"/api/v5/asset/{asset['id']}", headers=admin.headers)).json()["data"]
    assert after["filename"] == "secret.png" and after["deleted"] is False
