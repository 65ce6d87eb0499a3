"""``GET /api/v5/post/`` metadata filters: ``metadata.<schema>.<path>=csv``,
``has_metadata.<schema>.<path>``, ``.from``/``.to``; values follow metadata writes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from tests.percolate.support.desks import Desk, make_post, make_schema

pytestmark = pytest.mark.anyio

FIELDS: list[dict[str, Any]] = [
    {
        "key": "region",
        "type": "select",
        "ext": {"values": [{"value": "emea", "label": "EMEA"}, {"value": "amer", "label": "AM"}]},
    },
    {"key": "labels", "type": "string-array"},
    {"key": "budget", "type": "number"},
    {"key": "launch", "type": "date"},
    {"key": "window", "type": "date-range"},
    {"key": "cost", "type": "currency"},
    {"key": "owner", "type": "email"},
    {
        "key": "items",
        "type": "object-array",
        "ext": {"fields": [{"key": "sku", "type": "text"}, {"key": "due", "type": "date"}]},
    },
]
FULL: dict[str, Any] = {
    "region": "emea",
    "labels": ["spring", "shoes"],
    "budget": 500,
    "launch": "2030-01-02T10:00:00+00:00",
    "window": {"from": "2030-03-01", "to": "2030-03-10"},
    "cost": {"currency": "USD", "amount": "20.0000"},
    "owner": "ana@example.org",
    "items": [{"sku": "A-1", "due": "2030-05-01T00:00:00+00:00"}, {"sku": "B-2"}],
}
OTHER: dict[str, Any] = {
    "region": "amer",
    "labels": ["autumn"],
    "budget": 12.5,
    "launch": "2030-02-15T00:00:00+00:00",
    "window": {"from": "2030-04-01", "to": "2030-04-02"},
    "cost": {"currency": "EUR", "amount": "7"},
    "items": [{"sku": "C-3"}],
}


async def _meta_schema(api: httpx.AsyncClient, desk: Desk) -> str:
    made = await make_schema(
        api, desk.admin, name="Facts", type="metadata", fields=FIELDS,
        limit_resource_types=["post"],
    )  # fmt: skip
    return str(made["id"])


async def _post_with(
    api: httpx.AsyncClient, desk: Desk, post_schema: str, meta: str, ext: dict[str, Any] | None
) -> str:
    extra = {"metadata": [{"schema_id": meta, "ext": ext}]} if ext is not None else {}
    return str((await make_post(api, desk, post_schema, **extra))["id"])


async def _list(api: httpx.AsyncClient, desk: Desk, **params: Any) -> httpx.Response:
    return await api.get(
        "/api/v5/post/", params={"scope_ids": desk.license, **params}, headers=desk.admin.headers
    )


async def _ids(api: httpx.AsyncClient, desk: Desk, **params: Any) -> set[str]:
    response = await _list(api, desk, **params)
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["data"]}


@pytest.fixture
async def posts(api: httpx.AsyncClient, desk: Desk) -> dict[str, str]:
    """Three posts: ``full`` and ``other`` with differing metadata, ``none`` without."""
    post_schema = (await make_schema(api, desk.admin))["id"]
    meta = await _meta_schema(api, desk)
    return {
        "meta": meta,
        "post_schema": post_schema,
        "full": await _post_with(api, desk, post_schema, meta, FULL),
        "other": await _post_with(api, desk, post_schema, meta, OTHER),
        "none": await _post_with(api, desk, post_schema, meta, None),
    }


async def test_values_match_text_lists_numbers_and_parts(
    api: httpx.AsyncClient, desk: Desk, posts: dict[str, str]
) -> None:
    m, full, other = f"metadata.{posts['meta']}", posts["full"], posts["other"]
    assert await _ids(api, desk, **{f"{m}.region": "emea"}) == {full}
    assert await _ids(api, desk, **{f"{m}.region": "emea,amer"}) == {full, other}
    assert await _ids(api, desk, **{f"{m}.labels": "shoes"}) == {full}
    assert await _ids(api, desk, **{f"{m}.labels": "autumn,spring"}) == {full, other}
    assert await _ids(api, desk, **{f"{m}.budget": "500.00"}) == {full}
    assert await _ids(api, desk, **{f"{m}.budget": "12.5"}) == {other}
    assert await _ids(api, desk, **{f"{m}.cost/amount": "20"}) == {full}
    assert await _ids(api, desk, **{f"{m}.cost/currency": "EUR"}) == {other}
    assert await _ids(api, desk, **{f"{m}.owner": "ana@example.org"}) == {full}
    assert await _ids(api, desk, **{f"{m}.items/sku": "B-2"}) == {full}
    assert await _ids(api, desk, **{f"{m}.items/sku": "nope"}) == set()
    # A date matches its whole day; a date-time that instant.
    assert await _ids(api, desk, **{f"{m}.launch": "2030-01-02"}) == {full}
    assert await _ids(api, desk, **{f"{m}.launch": "2030-02-15T00:00:00Z"}) == {other}
    assert await _ids(api, desk, **{f"{m}.window/from": "2030-04-01"}) == {other}


async def test_ranges_on_dates_and_overlapping_date_ranges(
    api: httpx.AsyncClient, desk: Desk, posts: dict[str, str]
) -> None:
    m, full, other = f"metadata.{posts['meta']}", posts["full"], posts["other"]
    launch = {f"{m}.launch.from": "2030-01-01", f"{m}.launch.to": "2030-02-01"}
    assert await _ids(api, desk, **launch) == {full}
    # .from is inclusive, .to exclusive.
    assert await _ids(api, desk, **{f"{m}.launch.from": "2030-02-15T00:00:00Z"}) == {other}
    assert await _ids(api, desk, **{f"{m}.launch.to": "2030-02-15T00:00:00Z"}) == {full}
    assert await _ids(api, desk, **{f"{m}.window/from.from": "2030-03-15"}) == {other}
    assert await _ids(api, desk, **{f"{m}.items/due.to": "2030-06-01"}) == {full}
    # On a date range itself: the stored range overlaps [from, to).
    overlap = {f"{m}.window.from": "2030-03-09", f"{m}.window.to": "2030-04-01"}
    assert await _ids(api, desk, **overlap) == {full}
    assert await _ids(api, desk, **{f"{m}.window.from": "2030-03-11"}) == {other}


async def test_from_and_to_on_one_date_path_select_one_value_between_them(
    api: httpx.AsyncClient, desk: Desk, posts: dict[str, str]
) -> None:
    """Two items due in May and September: no single item is due in June or July."""
    m = f"metadata.{posts['meta']}"
    dues = [
        {"sku": "M", "due": "2030-05-01T00:00:00+00:00"},
        {"sku": "S", "due": "2030-09-01T00:00:00+00:00"},
    ]
    spread = await _post_with(api, desk, posts["post_schema"], posts["meta"], {"items": dues})
    summer = {f"{m}.items/due.from": "2030-06-01", f"{m}.items/due.to": "2030-08-01"}
    assert await _ids(api, desk, **summer) == set()
    may = {f"{m}.items/due.from": "2030-04-15", f"{m}.items/due.to": "2030-05-15"}
    assert await _ids(api, desk, **may) == {spread, posts["full"]}


async def test_has_metadata_tests_whether_a_field_holds_a_value(
    api: httpx.AsyncClient, desk: Desk, posts: dict[str, str]
) -> None:
    h, full, other, none = (
        f"has_metadata.{posts['meta']}",
        *(posts[name] for name in ("full", "other", "none")),
    )
    assert await _ids(api, desk, **{f"{h}.owner": "true"}) == {full}
    assert await _ids(api, desk, **{f"{h}.owner": "False"}) == {other, none}
    assert await _ids(api, desk, **{f"{h}.window": "true"}) == {full, other}
    assert await _ids(api, desk, **{f"{h}.items/due": "true"}) == {full}
    assert await _ids(api, desk, **{f"{h}.cost": "false"}) == {none}


async def test_filters_and_together_and_are_echoed(
    api: httpx.AsyncClient, desk: Desk, posts: dict[str, str]
) -> None:
    m = f"metadata.{posts['meta']}"
    params = {
        f"{m}.region": "emea,amer",
        f"{m}.budget": "12.5",
        f"has_metadata.{posts['meta']}.owner": "false",
    }
    assert await _ids(api, desk, **params) == {posts["other"]}
    assert await _ids(api, desk, **params, statuses="live") == set()
    echoed = (await _list(api, desk, **params, **{f"{m}.launch.from": "2030-01-01"})).json()
    assert echoed["meta"]["query"][f"{m}.region"] == ["emea", "amer"]
    assert echoed["meta"]["query"][f"has_metadata.{posts['meta']}.owner"] is False
    assert echoed["meta"]["query"][f"{m}.launch.from"] == "2030-01-01T00:00:00+00:00"


async def test_values_follow_metadata_updates_and_deletes(
    api: httpx.AsyncClient, desk: Desk, posts: dict[str, str]
) -> None:
    m, full = f"metadata.{posts['meta']}", posts["full"]
    records = await api.get(
        "/api/v5/metadata/", params={"object_ids": full}, headers=desk.admin.headers
    )
    record = records.json()["data"][0]["id"]
    changed = await api.put(
        f"/api/v5/metadata/{record}",
        json={"ext": {**FULL, "region": "amer", "labels": ["summer"]}},
        headers=desk.admin.headers,
    )
    assert changed.status_code == 200, changed.text
    assert await _ids(api, desk, **{f"{m}.region": "emea"}) == set()
    assert await _ids(api, desk, **{f"{m}.labels": "spring"}) == set()
    assert full in await _ids(api, desk, **{f"{m}.region": "amer"})
    deleted = await api.delete(f"/api/v5/metadata/{record}", headers=desk.admin.headers)
    assert deleted.status_code == 204
    assert await _ids(api, desk, **{f"{m}.region": "amer"}) == {posts["other"]}
    assert full in await _ids(api, desk, **{f"has_metadata.{posts['meta']}.region": "false"})
    # Written through /metadata/ rather than with the post: indexed the same way.
    written = await api.post(
        "/api/v5/metadata/",
        json={"object_id": posts["none"], "schema_id": posts["meta"], "ext": {"region": "emea"}},
        headers=desk.admin.headers,
    )
    assert written.status_code == 201, written.text
    assert await _ids(api, desk, **{f"{m}.region": "emea"}) == {posts["none"]}


async def test_malformed_or_meaningless_keys_are_a_400_naming_the_key(
    api: httpx.AsyncClient, desk: Desk, posts: dict[str, str]
) -> None:
    meta, post_schema = posts["meta"], posts["post_schema"]
    cases = [
        (f"metadata.{meta}", "x"),  # no path
        ("metadata.nonsense.region", "x"),  # no schema id
        (f"metadata.{meta}.region.between", "x"),  # unknown operator
        (f"metadata.{meta}.a//b", "x"),  # empty path segment
        (f"metadata.{meta}.region", ""),  # no value
        ("metadata.schema:999999999.region", "emea"),  # unknown schema
        (f"metadata.{post_schema}.message", "hi"),  # not a metadata schema
        (f"metadata.{meta}.colour", "red"),  # not a field
        (f"metadata.{meta}.region/sub", "x"),  # below a plain field
        (f"metadata.{meta}.region.from", "2030-01-01"),  # range on a non-date
        (f"metadata.{meta}.launch.from", "soon"),  # not a date
        (f"metadata.{meta}.budget", "lots"),  # not a number
        (f"metadata.{meta}.window", "2030-03-01"),  # a date range is filtered by its parts
        (f"has_metadata.{meta}.region", "maybe"),
        (f"has_metadata.{meta}.launch.from", "true"),
    ]
    for key, value in cases:
        response = await _list(api, desk, **{key: value})
        assert response.status_code == 400, (key, response.text)
        assert response.json()["errors"][0]["key"] == f"$.{key}", key


async def test_another_accounts_schemas_and_posts_stay_out(
    api: httpx.AsyncClient, desk: Desk, make_desk: Any, posts: dict[str, str]
) -> None:
    other: Desk = await make_desk()
    their_meta = await _meta_schema(api, other)
    their_post_schema = (await make_schema(api, other.admin))["id"]
    theirs = await make_post(
        api, other, their_post_schema, other.admin,
        metadata=[{"schema_id": their_meta, "ext": FULL}],
    )  # fmt: skip
    mine = await _ids(api, desk, **{f"metadata.{posts['meta']}.region": "emea"})
    assert mine == {posts["full"]}
    unscoped = await api.get(
        "/api/v5/post/",
        params={f"has_metadata.{posts['meta']}.region": "false"},
        headers=desk.admin.headers,
    )
    assert theirs["id"] not in {item["id"] for item in unscoped.json()["data"]}
    # Their schema is unknown here (whatever it holds).
    response = await _list(api, desk, **{f"metadata.{their_meta}.region": "emea"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["key"] == f"$.metadata.{their_meta}.region"


async def test_the_spec_documents_the_metadata_filter_families(api: httpx.AsyncClient) -> None:
    document = (await api.get("/api/v5/spec.json")).json()
    params = {p["name"]: p for p in document["paths"]["/api/v5/post/"]["get"]["parameters"]}
    family = params["metadata.{schema}.{path}"]
    assert family["style"] == "form" and family["explode"] is True
    assert family["schema"]["propertyNames"]["pattern"] == r"^metadata\."
    assert "has_metadata.{schema}.{path}" in params
    assert {"term_ids", "asset_ids", "origin_ids", "access_scopes", "is_interaction"} <= set(params)
