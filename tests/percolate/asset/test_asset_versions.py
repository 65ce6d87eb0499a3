"""Asset versions (a replacement upload, the list, rollback with ``version_id``) and the
duration of audio and video files."""

from __future__ import annotations

import io
import struct
import wave
from typing import Any

import httpx
import pytest
from tests.percolate.asset.test_assets import make_asset
from tests.percolate.support.accounts import Account, Caller
from tests.percolate.support.library import form_post, image_bytes, policy_for

pytestmark = pytest.mark.anyio


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def mp4(seconds: float, timescale: int = 1000) -> bytes:
    """A minimal MP4: ``ftyp``, a ``moov`` whose ``mvhd`` says how long, some ``mdat``."""
    header = b"\x00\x00\x00\x00" + struct.pack(">IIII", 0, 0, timescale, int(seconds * timescale))
    rest = b"\x00\x01\x00\x00" + b"\x01\x00" + b"\x00" * 70 + struct.pack(">I", 2)
    ftyp = _box(b"ftyp", b"isom" + struct.pack(">I", 512) + b"isomiso2mp41")
    return ftyp + _box(b"mdat", b"\x00" * 4096) + _box(b"moov", _box(b"mvhd", header + rest))


def wav(seconds: int) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(8000)
        sound.writeframes(b"\x00\x00" * 8000 * seconds)
    return out.getvalue()


async def replace(
    api: httpx.AsyncClient, caller: Caller, scope: str, asset: str, filename: str, content: bytes
) -> httpx.Response:
    """A replacement upload's three steps and poll (or the refused create)."""
    created = await api.post(
        "/api/v5/upload/",
        json={"scope_id": scope, "type": "file", "asset_id": asset, "ext": {"filename": filename}},
        headers=caller.headers,
    )
    if created.status_code != 201:
        return created
    upload = created.json()["data"]
    posted = await form_post(api, await policy_for(api, caller, upload["id"]), filename, content)
    assert posted.status_code == 204, posted.text
    return await api.get(f"/api/v5/upload/{upload['id']}", headers=caller.headers)


async def versions(api: httpx.AsyncClient, caller: Caller, asset: str) -> list[dict[str, Any]]:
    response = await api.get(f"/api/v5/asset/{asset}/versions", headers=caller.headers)
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()["data"]
    return rows


async def test_durations_of_video_and_audio(
    api: httpx.AsyncClient, account: Account, admin: Caller
) -> None:
    lic = await account.scope("license")
    clip = await make_asset(api, admin, lic, "clip.mp4", mp4(12.5))
    sound = await make_asset(api, admin, lic, "sound.wav", wav(2))
    broken = await make_asset(api, admin, lic, "broken.mp4", mp4(3)[:40] + b"\x00" * 100)
    assert clip["type"] == "video" and clip["ext"]["duration"] == 12.5
    assert sound["type"] == "audio" and sound["ext"]["duration"] == 2.0
    assert broken["type"] == "video" and "duration" not in broken["ext"]
    key = clip["id"].split(":")[1]
    item = await api.get(f"/api/v3/media/video:{key}", headers=admin.headers)
    assert item.json()["formats"][0]["metadata"] == {"duration": 12.5}


async def test_replace_list_and_roll_back(
    api: httpx.AsyncClient, account: Account, admin: Caller
) -> None:
    lic = await account.scope("license")
    asset = await make_asset(api, admin, lic, "logo.png", image_bytes(100, 50))
    first = await versions(api, admin, asset["id"])
    assert [(v["version"], v["current"]) for v in first] == [(1, True)]
    polled = await replace(api, admin, lic, asset["id"], "logo-v2.png", image_bytes(30, 60))
    assert polled.json()["data"]["status"] == "ready", polled.text
    assert polled.json()["data"]["asset_id"] == asset["id"]
    now = (await api.get(f"/api/v5/asset/{asset['id']}", headers=admin.headers)).json()["data"]
    assert now["filename"] == "logo-v2.png" and now["ext"]["orientation"] == "portrait"
    listed = await versions(api, admin, asset["id"])
    assert [(v["version"], v["current"], v["filename"]) for v in listed] == [
        (2, True, "logo-v2.png"),
        (1, False, "logo.png"),
    ]
    assert listed[1]["id"] == first[0]["id"]
    # the same bytes again change nothing
    again = await replace(api, admin, lic, asset["id"], "same.png", image_bytes(30, 60))
    assert again.json()["data"]["status"] == "duplicate"
    rolled = await api.put(
        f"/api/v5/asset/{asset['id']}", json={"version_id": first[0]["id"]}, headers=admin.headers
    )
    assert rolled.status_code == 200, rolled.text
    back = rolled.json()["data"]
    assert back["filename"] == "logo.png" and back["ext"]["dimensions"]["width"] == 100
    download = await api.get(f"/api/v5/asset/{asset['id']}/download", headers=admin.headers)
    assert download.content == image_bytes(100, 50)
    assert [v["version"] for v in await versions(api, admin, asset["id"])] == [3, 2, 1]
    for body in (
        {"version_id": first[0]["id"], "filename": "x.png"},
        {"context_id": "post:1"},
        {"version_id": "asset_version:x"},
    ):
        response = await api.put(f"/api/v5/asset/{asset['id']}", json=body, headers=admin.headers)
        assert response.status_code == 400, (body, response.text)
    other = await make_asset(api, admin, lic, "other.pdf", b"%PDF-1.4 other")
    foreign = await api.put(
        f"/api/v5/asset/{other['id']}", json={"version_id": first[0]["id"]}, headers=admin.headers
    )
    assert foreign.status_code == 400 and foreign.json()["errors"][0]["key"] == "$.version_id"


async def test_versions_capabilities_and_isolation(
    api: httpx.AsyncClient, make_account: Any, account: Account, admin: Caller
) -> None:
    lic = await account.scope("license")
    asset = await make_asset(api, admin, lic, "a.png", image_bytes(40, 40))
    first = (await versions(api, admin, asset["id"]))[0]["id"]
    viewer = await account.user(("pam-download-share", lic))
    assert len(await versions(api, viewer, asset["id"])) == 1
    refused = await api.put(
        f"/api/v5/asset/{asset['id']}", json={"version_id": first}, headers=viewer.headers
    )
    assert refused.status_code == 403
    other: Account = await make_account()
    intruder = await other.user(("admin", None))
    mine = await other.scope("license")
    seen = await api.get(f"/api/v5/asset/{asset['id']}/versions", headers=intruder.headers)
    assert seen.status_code == 403
    rolled = await api.put(
        f"/api/v5/asset/{asset['id']}", json={"version_id": first}, headers=intruder.headers
    )
    assert rolled.status_code == 403
    hijack = await replace(api, intruder, mine, asset["id"], "evil.png", image_bytes(9, 9))
    assert hijack.status_code == 403, hijack.text
    elsewhere = await account.scope("license")
    moved = await replace(api, admin, elsewhere, asset["id"], "b.png", image_bytes(9, 9))
    assert moved.status_code == 400 and moved.json()["errors"][0]["key"] == "$.asset_id"
    after = (await api.get(f"/api/v5/asset/{asset['id']}", headers=admin.headers)).json()["data"]
    assert after["filename"] == "a.png"
