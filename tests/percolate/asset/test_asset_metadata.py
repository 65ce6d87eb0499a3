"""Asset lists filtered by metadata (``metadata.<schema>.<path>``, ``has_metadata``,
``.from``/``.to``): records written on assets, schemas limited to assets, isolation."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from tests.percolate.asset.test_assets import listed, make_asset
from tests.percolate.support.accounts import Account, Caller
from tests.percolate.support.desks import make_schema

pytestmark = pytest.mark.anyio

FIELDS: list[dict[str, Any]] = [
    {"key": "credit", "type": "text"},
    {"key": "shot", "type": "date"},
]


async def _schema(api: httpx.AsyncClient, caller: Caller, *types: str) -> str:
    made = await make_schema(
        api, caller, name="Rights", type="metadata", fields=FIELDS,
        limit_resource_types=list(types),
    )  # fmt: skip
    return str(made["id"])


async def _write(
    api: httpx.AsyncClient, caller: Caller, asset: str, schema: str, ext: dict[str, Any]
) -> httpx.Response:
    return await api.post(
        "/api/v5/metadata/",
        json={"object_id": asset, "schema_id": schema, "ext": ext},
        headers=caller.headers,
    )


async def test_asset_list_metadata_filters(
    api: httpx.AsyncClient, account: Account, admin: Caller
) -> None:
    lic = await account.scope("license")
    schema = await _schema(api, admin, "asset")
    one = (await make_asset(api, admin, lic, "one.pdf", b"%PDF-1.4 one"))["id"]
    two = (await make_asset(api, admin, lic, "two.pdf", b"%PDF-1.4 two"))["id"]
    bare = (await make_asset(api, admin, lic, "bare.pdf", b"%PDF-1.4 bare"))["id"]
    written = await _write(
        api, admin, one, schema, {"credit": "Ana", "shot": "2030-01-02T10:00:00+00:00"}
    )
    assert written.status_code == 201, written.text
    assert (await _write(api, admin, two, schema, {"credit": "Bo"})).status_code == 201
    m, base = f"metadata.{schema}", f"scope_ids={lic}"
    assert await listed(api, admin, f"{base}&{m}.credit=Ana") == [one]
    assert sorted(await listed(api, admin, f"{base}&{m}.credit=Ana,Bo")) == sorted([one, two])
    assert await listed(api, admin, f"{base}&{m}.shot.from=2030-01-01&{m}.shot.to=2030-02-01") == [
        one
    ]
    assert await listed(api, admin, f"{base}&has_metadata.{schema}.credit=false") == [bare]
    assert sorted(await listed(api, admin, f"{base}&has_metadata.{schema}.credit=true")) == (
        sorted([one, two])
    )
    # the folder rule still applies: a moved asset leaves the root's listing
    folder = (
        await api.post(
            "/api/v5/folder/", json={"name": "F", "scope_id": lic}, headers=admin.headers
        )
    ).json()["data"]["id"]
    await api.put(f"/api/v5/asset/{one}", json={"folder_id": folder}, headers=admin.headers)
    assert await listed(api, admin, f"{base}&{m}.credit=Ana") == []
    assert await listed(api, admin, f"{base}&recursive=true&{m}.credit=Ana") == [one]
    # metadata read back through the metadata resource
    records = await api.get(f"/api/v5/metadata/?object_ids={two}", headers=admin.headers)
    assert [r["ext"]["credit"] for r in records.json()["data"]] == ["Bo"]


async def test_asset_metadata_filter_errors(
    api: httpx.AsyncClient, account: Account, admin: Caller
) -> None:
    lic = await account.scope("license")
    post_only = await _schema(api, admin, "post")
    asset = (await make_asset(api, admin, lic, "x.pdf", b"%PDF-1.4 x"))["id"]
    refused = await _write(api, admin, asset, post_only, {"credit": "Ana"})
    assert refused.status_code == 400, refused.text
    for query in (
        f"metadata.{post_only}.credit=Ana",
        "metadata.schema:999999.credit=Ana",
        "metadata.nope=1",
        f"metadata.{await _schema(api, admin, 'all')}.missing=1",
    ):
        response = await api.get(f"/api/v5/asset/?scope_ids={lic}&{query}", headers=admin.headers)
        assert response.status_code == 400, (query, response.text)
        assert response.json()["errors"][0]["code"].startswith("input:")


async def test_asset_metadata_capabilities_and_isolation(
    api: httpx.AsyncClient, make_account: Any, account: Account, admin: Caller
) -> None:
    lic = await account.scope("license")
    schema = await _schema(api, admin, "asset")
    asset = (await make_asset(api, admin, lic, "x.pdf", b"%PDF-1.4 x"))["id"]
    viewer = await account.user(("pam-download-share", lic))
    assert (await _write(api, viewer, asset, schema, {"credit": "V"})).status_code == 403
    assert (await _write(api, admin, asset, schema, {"credit": "Ana"})).status_code == 201
    assert await listed(api, admin, f"scope_ids={lic}&metadata.{schema}.credit=Ana") == [asset]
    other: Account = await make_account()
    intruder = await other.user(("admin", None))
    theirs = await _schema(api, intruder, "asset")
    assert (await _write(api, intruder, asset, theirs, {"credit": "X"})).status_code == 403
    # another account's schema id is unknown here, and ours is unknown there
    mine = await api.get(f"/api/v5/asset/?metadata.{theirs}.credit=X", headers=admin.headers)
    assert mine.status_code == 400
    seen = await api.get(f"/api/v5/asset/?metadata.{schema}.credit=Ana", headers=intruder.headers)
    assert seen.status_code == 400
