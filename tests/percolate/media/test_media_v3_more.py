"""v3 media: the search filters beyond the basics, ``uids`` as a bare array, the multipart
file upload and ``custom_metadata`` (items and the license's own), with isolation."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from tests.percolate.asset.test_assets import make_asset
from tests.percolate.support.accounts import Account, Caller
from tests.percolate.support.desks import make_schema
from tests.percolate.support.library import image_bytes, png_header

pytestmark = pytest.mark.anyio


async def _uids(api: httpx.AsyncClient, caller: Caller, query: str) -> list[str]:
    response = await api.get(f"/api/v3/media?{query}", headers=caller.headers)
    assert response.status_code == 200, response.text
    return sorted(item["uid"] for item in response.json()["data"])


def _form(number: str, **parts: str) -> dict[str, str]:
    return {"license_id": number, **parts}


async def test_v3_search_filters(api: httpx.AsyncClient, account: Account, admin: Caller) -> None:
    lic = await account.scope("license")
    n = lic.split(":")[1]
    folder = (
        await api.post(
            "/api/v3/media",
            json={"type": "folder", "name": "F", "license_id": int(n)},
            headers=admin.headers,
        )
    ).json()["uid"]
    big = await make_asset(api, admin, lic, "big.png", image_bytes(1600, 900))
    small = await make_asset(api, admin, lic, "small.jpg", image_bytes(40, 80, "JPEG"))
    pdf = await make_asset(api, admin, lic, "doc.pdf", b"%PDF-1.4 doc")
    big_uid = f"license:{n}:image:{big['id'].split(':')[1]}"
    small_uid = f"license:{n}:image:{small['id'].split(':')[1]}"
    pdf_uid = f"video:{pdf['id'].split(':')[1]}"
    await api.put(
        f"/api/v3/media/{big_uid}/metadata", json={"tags": ["sea", "blue"]}, headers=admin.headers
    )
    base = f"index_license_id={n}"
    assert await _uids(api, admin, f"{base}&sizes=large") == [big_uid]
    assert await _uids(api, admin, f"{base}&sizes=small,large") == sorted([big_uid, small_uid])
    assert await _uids(api, admin, f"{base}&tag=sea") == [big_uid]
    assert await _uids(api, admin, f"{base}&exclude_content_types=image/*") == [pdf_uid]
    assert await _uids(api, admin, f"{base}&content_type=*&exclude_content_types=image/png") == (
        sorted([small_uid, pdf_uid])
    )
    assert await _uids(api, admin, f"{base}&is_photo=false") == [pdf_uid]
    assert await _uids(api, admin, f"{base}&state=ready&type=video") == [pdf_uid]
    assert await _uids(api, admin, f"{base}&state=approving") == []
    assert await _uids(api, admin, f"{base}&orientations=vertical") == [small_uid]
    assert len(await _uids(api, admin, f"{base}&user_ids={admin.wire}")) == 4
    assert await _uids(api, admin, f"{base}&user_ids=user:999999") == []
    assert len(await _uids(api, admin, f"{base}&start_at=2000-01-01&end_at=2999-01-01")) == 4
    assert await _uids(api, admin, f"{base}&end_at=2000-01-01") == []
    # what no file here has matches nothing; its negation everything
    for nothing in (
        "has_usage_rights=true",
        "expires_after=2020-01-01",
        "term_uids=term:1",
        "approval_workflow=incomplete",
        f"approval_user_ids={admin.wire}",
    ):
        assert await _uids(api, admin, f"{base}&{nothing}") == [], nothing
    assert len(await _uids(api, admin, f"{base}&has_usage_rights=false")) == 4
    ordered = await api.get(
        f"/api/v3/media?{base}&content_type_order=image/png,application/*", headers=admin.headers
    )
    assert [i["uid"] for i in ordered.json()["data"]] == [big_uid, pdf_uid, small_uid, folder]
    # uids: the SDK's items call, a bare array, across folders
    await api.post(f"/api/v3/media/{folder}", json={"uids": [pdf_uid]}, headers=admin.headers)
    items = await api.get(f"/api/v3/media?{base}&uids={pdf_uid},{folder}", headers=admin.headers)
    assert isinstance(items.json(), list)
    assert sorted(i["uid"] for i in items.json()) == sorted([pdf_uid, folder])
    for bad in (
        "sizes=huge",
        "state=gone",
        "tag=" + "x" * 300 + "&is_photo=maybe",
        "user_ids=bob",
        "start_at=yesterday",
        "term_uids=nope",
        "approval_workflow=done",
        "exclude_content_types=not a type",
        "uids=post:1",
    ):
        response = await api.get(f"/api/v3/media?{base}&{bad}", headers=admin.headers)
        assert response.status_code == 400, (bad, response.text)


async def test_v3_multipart_upload(api: httpx.AsyncClient, account: Account, admin: Caller) -> None:
    lic = await account.scope("license")
    n = lic.split(":")[1]
    folder = (
        await api.post(
            "/api/v3/media",
            json={"type": "folder", "name": "In", "license_id": int(n)},
            headers=admin.headers,
        )
    ).json()["uid"]
    made = await api.post(
        "/api/v3/media",
        data=_form(
            n,
            original_filename="sunset.png",
            folder_uid=folder,
            title="Sunset",
            description="Over the sea",
            tags="sea, evening",
            ingested_from="Android Percolate",
        ),
        files={"content_file": ("IMG_1.png", image_bytes(120, 80), "image/png")},
        headers=admin.headers,
    )
    assert made.status_code == 201, made.text
    item = made.json()
    assert item["type"] == "image" and item["uid"].startswith(f"license:{n}:image:")
    assert item["metadata"]["title"] == "Sunset" and item["metadata"]["tags"] == ["sea", "evening"]
    assert item["metadata"]["original_filename"] == "sunset.png"
    assert item["metadata"]["ingested_from"] == "Android Percolate"
    assert item["metadata"]["path"] == [folder]
    asset = f"asset:{item['id']}"
    v5 = (await api.get(f"/api/v5/asset/{asset}", headers=admin.headers)).json()["data"]
    assert v5["folder_id"] == folder and v5["created_through"] == "Android Percolate"
    assert v5["ext"]["dimensions"]["width"] == 120
    download = await api.get(f"/api/v5/asset/{asset}/download", headers=admin.headers)
    assert download.content == image_bytes(120, 80)
    found = await _uids(
        api, admin, f"index_license_id={n}&flat=true&ingested_from=Android Percolate"
    )
    assert found == [item["uid"]]
    # the same bytes again: the existing item
    again = await api.post(
        "/api/v3/media",
        data=_form(n),
        files={"content_file": ("copy.png", image_bytes(120, 80), "image/png")},
        headers=admin.headers,
    )
    assert again.status_code == 201 and again.json()["uid"] == item["uid"]
    for data, files in (
        (_form(n), {"content_file": ("bomb.png", png_header(50000, 50000), "image/png")}),
        (_form(n), None),
        (_form("x"), {"content_file": ("a.bin", b"abc", "application/octet-stream")}),
        (_form(n, folder_uid="folder:x"), {"content_file": ("a.bin", b"abc", "text/plain")}),
    ):
        response = await api.post("/api/v3/media", data=data, files=files, headers=admin.headers)
        assert response.status_code == 400, (data, response.text)
        assert response.json()["errors"]
    listed = await api.get(f"/api/v5/asset/?scope_ids={lic}&recursive=true", headers=admin.headers)
    assert listed.json()["meta"]["total"] == 1


async def test_v3_custom_metadata(api: httpx.AsyncClient, account: Account, admin: Caller) -> None:
    lic = await account.scope("license")
    n = lic.split(":")[1]
    schema = (
        await make_schema(
            api,
            admin,
            name="Rights",
            type="metadata",
            fields=[{"key": "credit", "type": "text"}],
            limit_resource_types=["asset"],
        )
    )["id"]
    photo = await make_asset(api, admin, lic, "p.png", image_bytes(20, 20))
    written = await api.post(
        "/api/v5/metadata/",
        json={"object_id": photo["id"], "schema_id": schema, "ext": {"credit": "Ana"}},
        headers=admin.headers,
    )
    assert written.status_code == 201, written.text
    uid = f"license:{n}:image:{photo['id'].split(':')[1]}"
    item = (await api.get(f"/api/v3/media/{uid}", headers=admin.headers)).json()
    assert item["custom_metadata"] == [{"schema_uid": schema, "data": {"credit": "Ana"}}]
    path = f"/api/v3/media/custom_metadata?license_id={n}"
    assert (await api.get(path, headers=admin.headers)).json() == {"data": []}
    body = {"custom_metadata": [{"schema_uid": schema, "data": {"credit": "House"}}]}
    put = await api.put(path, json=body, headers=admin.headers)
    assert put.status_code == 200, put.text
    assert put.json()["data"] == body["custom_metadata"]
    assert (await api.get(path, headers=admin.headers)).json()["data"] == body["custom_metadata"]
    replaced = await api.put(path, json={"data": []}, headers=admin.headers)
    assert replaced.json()["data"] == []
    for bad in (
        {"custom_metadata": [{"schema_uid": schema, "data": {"credit": 5}}]},
        {"custom_metadata": [{"schema_uid": "schema:999999", "data": {}}]},
        {"custom_metadata": [{"schema_uid": "nope", "data": {}}]},
        {"custom_metadata": [{"schema_uid": schema}, {"schema_uid": schema}]},
    ):
        response = await api.put(path, json=bad, headers=admin.headers)
        assert response.status_code in (400, 403), (bad, response.text)
    assert (
        await api.get("/api/v3/media/custom_metadata", headers=admin.headers)
    ).status_code == 400


async def test_v3_upload_and_custom_metadata_isolation(
    api: httpx.AsyncClient, make_account: Any, account: Account, admin: Caller
) -> None:
    lic = await account.scope("license")
    n = lic.split(":")[1]
    viewer = await account.user(("pam-download-share", lic))
    path = f"/api/v3/media/custom_metadata?license_id={n}"
    assert (await api.get(path, headers=viewer.headers)).status_code == 200
    refused = await api.put(path, json={"custom_metadata": []}, headers=viewer.headers)
    assert refused.status_code == 403
    other: Account = await make_account()
    intruder = await other.user(("admin", None))
    assert (await api.get(path, headers=intruder.headers)).status_code == 403
    taken = await api.put(path, json={"custom_metadata": []}, headers=intruder.headers)
    assert taken.status_code == 403
    upload = await api.post(
        "/api/v3/media",
        data=_form(n),
        files={"content_file": ("x.pdf", b"%PDF-1.4 x", "application/pdf")},
        headers=intruder.headers,
    )
    assert upload.status_code == 403, upload.text
    anonymous = await api.post(
        "/api/v3/media",
        data=_form(n),
        files={"content_file": ("x.pdf", b"%PDF-1.4 x", "application/pdf")},
    )
    assert anonymous.status_code == 401
    listed = await api.get(f"/api/v5/asset/?scope_ids={lic}&recursive=true", headers=admin.headers)
    assert listed.json()["meta"]["total"] == 0
