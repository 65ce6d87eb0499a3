"""Users: the platform's people seen through PERSCOM, with their profile, photos and ``me``."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.perscom.conftest import Org
from tests.perscom.factories import png_bytes

from tenantry.core.identity import service as identity
from tenantry.core.tenancy import tenant_session
from tenantry.settings import Settings

pytestmark = pytest.mark.anyio


async def test_a_platform_user_is_a_perscom_user(
    api: httpx.AsyncClient, org: Org, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with tenant_session(sessions, org.tenant_id) as session:
        made = await identity.create_user(session, email="core@example.com", name="Core Person")
    shown = await api.get(f"/v1/users/{made.id}")
    assert shown.status_code == 200
    user = shown.json()["data"]
    assert user["email"] == "core@example.com"
    assert user["approved"] is False
    assert user["rank_id"] is None
    assert "password_hash" not in user
    assert "password" not in user
    updated = await api.put(f"/v1/users/{made.id}", json={"approved": True})
    assert updated.json()["data"]["approved"] is True


async def test_users_made_through_perscom_can_sign_in_elsewhere(
    api: httpx.AsyncClient, org: Org, sessions: async_sessionmaker[AsyncSession]
) -> None:
    from sqlalchemy import select

    from tenantry.core.identity.models import User

    created = await api.post("/v1/users", json={"name": "Web Person", "email": "Web@Example.com"})
    assert created.json()["data"]["email"] == "web@example.com"
    async with tenant_session(sessions, org.tenant_id) as session:
        row = await session.scalar(select(User).where(User.email == "web@example.com"))
    assert row is not None
    assert row.name == "Web Person"


async def test_email_is_unique_and_valid(api: httpx.AsyncClient) -> None:
    await api.post("/v1/users", json={"name": "A", "email": "same@example.com"})
    taken = await api.post("/v1/users", json={"name": "B", "email": "SAME@example.com"})
    assert taken.status_code == 422
    assert taken.json()["error"]["errors"] == {"email": ["The email has already been taken."]}
    invalid = await api.post("/v1/users", json={"name": "C", "email": "not-an-email"})
    assert invalid.status_code == 422
    assert "email" in invalid.json()["error"]["errors"]


async def test_unknown_keys_are_dropped(api: httpx.AsyncClient) -> None:
    created = await api.post(
        "/v1/users",
        json={"name": "Z", "email": "z@example.com", "rank": "General", "password": "x", "id": 1},
    )
    assert created.status_code == 201
    user = created.json()["data"]
    assert user["id"] != 1
    assert user["rank_id"] is None


async def test_computed_fields(api: httpx.AsyncClient) -> None:
    rank = (await api.post("/v1/ranks", json={"name": "Sergeant", "abbreviation": "SGT"})).json()
    created = await api.post(
        "/v1/users",
        json={
            "name": "Sam Smith",
            "email": "sam@example.com",
            "rank_id": rank["data"]["id"],
            "last_seen_at": "2999-01-01T00:00:00Z",
        },
    )
    user = created.json()["data"]
    assert user["display_name"] == "SGT Sam Smith"
    assert user["label"] == f"User: {user['id']}"
    assert user["profile_photo_url"].startswith("https://ui-avatars.com/api/?name=Sam+Smith")
    assert user["cover_photo_url"] is None
    assert user["last_rank_change_date"] is not None
    assert user["last_assignment_change_date"] is None
    stale = await api.put(f"/v1/users/{user['id']}", json={"last_seen_at": "2000-01-01"})
    assert stale.json()["data"]["online"] is False


async def test_rank_change_is_dated(api: httpx.AsyncClient) -> None:
    ranks = await api.post("/v1/ranks/batch", json={"resources": [{"name": "A"}, {"name": "B"}]})
    a, b = (r["id"] for r in ranks.json()["data"])
    user = (
        await api.post("/v1/users", json={"name": "P", "email": "p@example.com", "rank_id": a})
    ).json()["data"]
    same = (await api.put(f"/v1/users/{user['id']}", json={"rank_id": a})).json()["data"]
    assert same["last_rank_change_date"] == user["last_rank_change_date"]
    changed = (await api.put(f"/v1/users/{user['id']}", json={"rank_id": b})).json()["data"]
    assert changed["last_rank_change_date"] > user["last_rank_change_date"]


async def test_profile_photo_by_spoofed_multipart_put(
    api: httpx.AsyncClient, org: Org, settings: Settings
) -> None:
    user = (await api.post("/v1/users", json={"name": "Pic", "email": "pic@example.com"})).json()
    user_id = user["data"]["id"]
    response = await api.post(
        f"/v1/users/{user_id}",
        data={"_method": "put", "name": "Pictured"},
        files={"profile_photo": ("me.png", png_bytes(), "image/png")},
    )
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["name"] == "Pictured"
    path = data["profile_photo"]
    assert path.startswith(f"perscom/{org.tenant_id}/users/profile-photos/")
    assert urlsplit(data["profile_photo_url"]).path.endswith(path)
    stored = settings.data_dir / "files" / path
    assert stored.exists()
    cleared = await api.put(f"/v1/users/{user_id}", json={"profile_photo": None})
    assert cleared.json()["data"]["profile_photo"] is None
    assert not stored.exists()


async def test_cover_photo_with_method_override_header(api: httpx.AsyncClient) -> None:
    user = (await api.post("/v1/users", json={"name": "C", "email": "cover@example.com"})).json()
    response = await api.post(
        f"/v1/users/{user['data']['id']}",
        headers={"X-HTTP-Method-Override": "PATCH"},
        files={"cover_photo": ("c.png", png_bytes(), "image/png")},
    )
    assert response.status_code == 200, response.text
    assert response.json()["data"]["cover_photo_url"]


@pytest.mark.parametrize(
    ("content", "kind", "message"),
    [
        (b"plain text, not a picture", "text/plain", "The profile photo field must be an image."),
        (
            b"\x89PNG\r\n\x1a\n" + b"0" * 64,
            "image/png",
            "The profile photo field must be an image.",
        ),
    ],
)
async def test_photos_must_be_images(
    api: httpx.AsyncClient, content: bytes, kind: str, message: str
) -> None:
    user = (await api.post("/v1/users", json={"name": "N", "email": "n@example.com"})).json()
    response = await api.post(
        f"/v1/users/{user['data']['id']}",
        data={"_method": "PUT"},
        files={"profile_photo": ("x.png", content, kind)},
    )
    assert response.status_code == 422
    assert response.json()["error"]["errors"] == {"profile_photo": [message]}


async def test_photos_over_10000_kilobytes_are_refused(api: httpx.AsyncClient) -> None:
    user = (await api.post("/v1/users", json={"name": "Big", "email": "big@example.com"})).json()
    big = png_bytes() + b"\0" * (10_000 * 1024)
    response = await api.post(
        f"/v1/users/{user['data']['id']}",
        data={"_method": "PUT"},
        files={"profile_photo": ("big.png", big, "image/png")},
    )
    assert response.status_code == 422
    assert "kilobytes" in response.json()["error"]["errors"]["profile_photo"][0]


async def test_photo_in_json_must_be_null(api: httpx.AsyncClient) -> None:
    user = (await api.post("/v1/users", json={"name": "J", "email": "j@example.com"})).json()
    response = await api.put(f"/v1/users/{user['data']['id']}", json={"profile_photo": "x.png"})
    assert response.status_code == 422


async def test_me_is_a_one_row_list(api: httpx.AsyncClient, org: Org) -> None:
    body = (await api.get("/v1/me")).json()
    assert [u["id"] for u in body["data"]] == [org.user_id]
    assert body["meta"]["total"] == 1


async def test_v1_single_statuses_carry_the_old_colour_columns(api: httpx.AsyncClient) -> None:
    status = await api.post("/v1/statuses", json={"name": "Active", "color": "#16a34a"})
    assert status.status_code == 201, status.text
    v1 = status.json()["data"]
    assert v1["text_color"] == v1["bg_color"] == "#16a34a"
    v2 = (await api.get(f"/v2/statuses/{v1['id']}")).json()["data"]
    assert "text_color" not in v2
    listed = (await api.get("/v1/statuses")).json()["data"]
    assert "text_color" not in listed[0]
    user = await api.post(
        "/v1/users?include=status",
        json={"name": "S", "email": "s@example.com", "status_id": v1["id"]},
    )
    assert user.json()["data"]["status"]["bg_color"] == "#16a34a"


async def test_status_colour_must_be_hex(api: httpx.AsyncClient) -> None:
    response = await api.post("/v1/statuses", json={"name": "Bad", "color": "green"})
    assert response.status_code == 422
    assert response.json()["error"]["errors"] == {"color": ["The color field format is invalid."]}


async def test_zapier_style_calls(api: httpx.AsyncClient) -> None:
    """ZAP: POST {name,email}, PUT with a free-form body, search by value, me."""
    created = await api.post("/v1/users", json={"name": "Zap User", "email": "zap@example.com"})
    user_id = created.json()["data"]["id"]
    updated = await api.put(f"/v1/users/{user_id}", json={"name": "Zap Renamed", "whatever": 1})
    assert updated.json()["data"]["name"] == "Zap Renamed"
    found = await api.post("/v1/users/search", json={"search": {"value": "zap renamed"}})
    assert [u["id"] for u in found.json()["data"]] == [user_id]
    assert (await api.get("/v1/me")).status_code == 200
