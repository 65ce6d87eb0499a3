"""Uploads read back where the API says they are; outbound requests never reach cloud
metadata endpoints (API7:2023 server-side request forgery)."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

import httpx
import pytest
from tests.perscom.conftest import Org
from tests.perscom.factories import png_bytes

from tenantry.core.errors import ValidationFailed
from tenantry.core.webhooks.destinations import check_destination, refusal_reason

pytestmark = pytest.mark.anyio


async def test_an_uploaded_perscom_image_reads_back_from_its_image_url(
    client: httpx.AsyncClient, org: Org
) -> None:
    picture = png_bytes((6, 6), "blue")
    stored = await client.post(
        "/v1/images",
        data={"name": "Readback"},
        files={"image": ("readback.png", picture, "image/png")},
        headers=org.headers,
    )
    assert stored.status_code == 201, stored.text
    url = urlsplit(stored.json()["data"]["image_url"])
    fetched = await client.get(f"{url.path}?{url.query}")
    assert fetched.status_code == 200
    assert fetched.content == picture
    assert fetched.headers["content-type"] == "image/png"


async def test_the_image_url_without_its_signature_is_not_readable(
    client: httpx.AsyncClient, org: Org
) -> None:
    stored = await client.post(
        "/v1/images",
        data={"name": "Unsigned"},
        files={"image": ("unsigned.png", png_bytes(), "image/png")},
        headers=org.headers,
    )
    assert stored.status_code == 201, stored.text
    unsigned = urlsplit(stored.json()["data"]["image_url"]).path
    assert (await client.get(unsigned)).status_code in (403, 404)


@pytest.mark.parametrize("allow_private", [False, True])
async def test_azure_wireserver_is_always_refused(allow_private: bool) -> None:
    reason = refusal_reason(ipaddress.ip_address("168.63.129.16"), allow_private=allow_private)
    assert reason is not None
    assert "metadata" in reason


async def test_a_webhook_to_the_azure_wireserver_is_a_400_keyed_url() -> None:
    with pytest.raises(ValidationFailed) as refused:
        await check_destination("http://168.63.129.16/machine?comp=goalstate", True)
    assert [error.key for error in refused.value.errors] == ["url"]
