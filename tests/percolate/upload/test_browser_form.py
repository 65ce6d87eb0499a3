"""The S3-style POST sent by a real browser: Debian's chromium submits the form a web client
builds from the ``s3`` upload policy, once to the embedded local storage (``POST /files`` on
a live server) and once straight to a real S3 server (SeaweedFS). The client's poll turns
each into a ``ready`` upload whose asset downloads byte for byte; a tampered hidden field is
refused with a 403 the browser receives."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from tests.browser import chromium, new_page
from tests.core.storage.s3_server import S3Server
from tests.percolate.support.accounts import Account, Caller
from tests.percolate.support.library import image_bytes, policy_for, start_upload

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

#: What a web client does with the policy: the url as the action, every field a hidden
#: input in the policy's order, the file input last (S3 ignores fields after the file).
BUILD_FORM = """policy => {
    const form = document.createElement("form");
    form.method = "post";
    form.enctype = "multipart/form-data";
    form.action = policy.url;
    for (const [name, value] of Object.entries(policy.ext.fields)) {
        const field = document.createElement("input");
        field.type = "hidden";
        field.name = name;
        field.value = value;
        form.append(field);
    }
    const file = document.createElement("input");
    file.type = "file";
    file.name = "file";
    file.id = "file";
    form.append(file);
    const send = document.createElement("button");
    send.type = "submit";
    send.textContent = "Upload";
    form.append(send);
    document.body.replaceChildren(form);
}"""

TAMPER = """([name, value]) => {
    document.querySelector(`input[type=hidden][name="${name}"]`).value = value;
}"""


async def submit(
    page: Any, policy: dict[str, Any], name: str, content: bytes, *, key: str | None = None
) -> Any:
    """Build the form, pick the file, press Upload: the response the browser got."""
    await page.goto("about:blank")
    await page.evaluate(BUILD_FORM, policy)
    if key is not None:
        await page.evaluate(TAMPER, ["key", key])
    await page.set_input_files(
        "#file", files=[{"name": name, "mimeType": "image/jpeg", "buffer": content}]
    )
    async with page.expect_response(
        lambda response: response.url == policy["url"] and response.request.method == "POST"
    ) as answered:
        await page.click("button[type=submit]")
    return await answered.value


async def ready_asset(api: httpx.AsyncClient, caller: Caller, upload_id: str) -> str:
    polled = await api.get(f"/api/v5/upload/{upload_id}", headers=caller.headers)
    assert polled.status_code == 200, polled.text
    data = polled.json()["data"]
    assert data["status"] == "ready" and data["ext"]["content_type"] == "image/jpeg", data
    asset_id: str = data["asset_id"]
    return asset_id


async def downloaded(api: httpx.AsyncClient, caller: Caller, asset_id: str) -> bytes:
    """The asset's bytes, following the 303 to a signed S3 URL where there is one."""
    response = await api.get(f"/api/v5/asset/{asset_id}/download", headers=caller.headers)
    if response.status_code == 303:
        async with httpx.AsyncClient() as outside:
            response = await outside.get(response.headers["location"])
    assert response.status_code == 200, response.text
    return response.content


async def test_browser_form_to_local_storage_and_s3(
    live_server: str,
    s3_api: httpx.AsyncClient,
    weed: S3Server,
    account: Account,
    admin: Caller,
) -> None:
    lic = await account.scope("license")
    async with httpx.AsyncClient(base_url=live_server) as live, chromium() as browser:
        page = await new_page(browser)
        for api, name, color in ((live, "local.jpg", "teal"), (s3_api, "s3.jpg", "olive")):
            photo = image_bytes(320, 200, "JPEG", color)
            upload = await start_upload(api, admin, lic, name, file_size=len(photo))
            policy = await policy_for(api, admin, upload["id"])
            target = f"{live_server}/files" if api is live else f"{weed.endpoint_url}/"
            assert policy["url"].startswith(target), policy["url"]

            refused = await submit(page, policy, name, photo, key="elsewhere/evil.jpg")
            assert refused.status == 403, await refused.text()
            waiting = await api.get(f"/api/v5/upload/{upload['id']}", headers=admin.headers)
            assert waiting.json()["data"]["status"] == "uploading"

            posted = await submit(page, policy, name, photo)
            assert posted.status == 204, await posted.text()
            asset_id = await ready_asset(api, admin, upload["id"])
            assert await downloaded(api, admin, asset_id) == photo
