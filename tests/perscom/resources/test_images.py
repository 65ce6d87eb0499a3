"""Images (``/images`` and the ``…/{id}/image`` routes): multipart uploads to core storage."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import pytest
from tests.perscom.conftest import Org
from tests.perscom.factories import png_bytes

from tenantry.settings import Settings

pytestmark = pytest.mark.anyio


async def test_store_show_search_and_delete(
    api: httpx.AsyncClient, org: Org, settings: Settings
) -> None:
    rank = (await api.post("/v1/ranks", json={"name": "Colonel"})).json()["data"]
    stored = await api.post(
        "/v1/images",
        data={"name": "Eagle", "model_type": "App\\Models\\Rank", "model_id": str(rank["id"])},
        files={"image": ("eagle.png", png_bytes((8, 8)), "image/png")},
    )
    assert stored.status_code == 201, stored.text
    image = stored.json()["data"]
    assert image["filename"] == "eagle.png"
    assert image["path"].startswith(f"perscom/{org.tenant_id}/images/")
    assert urlsplit(image["image_url"]).path.endswith(image["path"])
    assert image["label"] == f"Image: {image['id']}"
    file = settings.data_dir / "files" / image["path"]
    assert file.read_bytes() == png_bytes((8, 8))
    with_image = (await api.get(f"/v1/ranks/{rank['id']}?include=image")).json()["data"]
    assert with_image["image"]["id"] == image["id"]
    found = await api.post("/v1/images/search", json={"search": {"value": "eagle"}})
    assert [i["id"] for i in found.json()["data"]] == [image["id"]]
    renamed = await api.patch(f"/v1/images/{image['id']}", json={"name": "Silver Eagle"})
    assert renamed.json()["data"]["path"] == image["path"]
    assert (await api.delete(f"/v1/images/{image['id']}")).status_code == 200
    assert not file.exists()


async def test_image_is_required_on_store(api: httpx.AsyncClient) -> None:
    response = await api.post("/v1/images", json={"name": "Nothing"})
    assert response.status_code == 422
    assert response.json()["error"]["errors"] == {"image": ["The image field is required."]}


async def test_image_must_point_at_a_known_row(api: httpx.AsyncClient) -> None:
    response = await api.post(
        "/v1/images",
        data={"name": "x", "model_type": "App\\Models\\Nothing", "model_id": "1"},
        files={"image": ("x.png", png_bytes(), "image/png")},
    )
    assert response.status_code == 422
    assert "model_type" in response.json()["error"]["errors"]


async def test_formats_are_recognised_by_content(api: httpx.AsyncClient) -> None:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (3, 3), "green").save(buffer, format="JPEG")
    stored = await api.post(
        "/v1/images",
        data={"name": "photo"},
        files={"image": ("photo.bin", buffer.getvalue(), "application/octet-stream")},
    )
    assert stored.status_code == 201, stored.text
    assert stored.json()["data"]["path"].endswith(".jpg")
