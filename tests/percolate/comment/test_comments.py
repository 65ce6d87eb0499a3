"""``/api/v5/comment/``: comments, replies, mentions and pins; who may edit and delete."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from tests.percolate.support.desks import Caller, Desk, make_post, make_schema

pytestmark = pytest.mark.anyio


async def _post(api: httpx.AsyncClient, desk: Desk) -> dict[str, Any]:
    schema = await make_schema(api, desk.admin)
    return await make_post(api, desk, schema["id"])


async def _comment(
    api: httpx.AsyncClient, caller: Caller, object_id: str, **body: Any
) -> httpx.Response:
    return await api.post(
        "/api/v5/comment/",
        json={"object_id": object_id, "body": "Looks good", **body},
        headers=caller.headers,
    )


async def test_comments_replies_mentions_and_pins(api: httpx.AsyncClient, desk: Desk) -> None:
    post = await _post(api, desk)
    mention = {"object_id": desk.admin.wire, "offset": 6, "length": 4}
    first = await _comment(api, desk.admin, post["id"], mentions=[mention])
    assert first.status_code == 201, first.text
    comment = first.json()["data"]
    assert comment["object_id"] == post["id"]
    assert comment["user_id"] == desk.admin.wire
    assert comment["mentions"] == [mention]
    assert comment["scope_id"] == desk.license
    reply = await _comment(api, desk.admin, post["id"], parent_comment_id=comment["id"])
    assert reply.json()["data"]["parent_comment_id"] == comment["id"]
    pin = await _comment(
        api,
        desk.admin,
        post["id"],
        context_type="coordinate",
        context_ext={"x": 10, "y": 20.5, "unit": "%"},
    )
    assert pin.json()["data"]["context_ext"] == {"x": 10.0, "y": 20.5, "unit": "%"}
    listed = await api.get(
        "/api/v5/comment/",
        params={"object_ids": post["id"], "include": "parent_comment_id,user_id"},
        headers=desk.admin.headers,
    )
    body = listed.json()
    assert [item["id"] for item in body["data"]] == [
        comment["id"],
        reply.json()["data"]["id"],
        pin.json()["data"]["id"],
    ]
    assert [c["id"] for c in body["include"]["comment"]] == [comment["id"]]
    pins = await api.get(
        "/api/v5/comment/",
        params={"object_ids": post["id"], "context_type": "coordinate"},
        headers=desk.admin.headers,
    )
    assert [item["id"] for item in pins.json()["data"]] == [pin.json()["data"]["id"]]
    today = comment["created_at"][:10]
    same_day = await api.get(
        "/api/v5/comment/",
        params={"object_ids": post["id"], "start_at": today, "end_at": today},
        headers=desk.admin.headers,
    )
    assert same_day.json()["meta"]["total"] == 3


async def test_a_list_needs_ids_or_object_ids(api: httpx.AsyncClient, desk: Desk) -> None:
    response = await api.get("/api/v5/comment/", headers=desk.admin.headers)
    assert response.status_code == 400
    assert response.json()["errors"][0]["key"] == "$.ids"


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ({"body": ""}, "$.body"),
        ({"context_type": "coordinate"}, "$.context_ext"),
        ({"context_type": "coordinate", "context_ext": {"x": -1, "y": 0}}, "$.context_ext.x"),
        ({"mentions": ["post:1"]}, "$.mentions.0.object_id"),
        (
            {"mentions": [{"object_id": "post:1", "offset": 0, "length": 1}]},
            "$.mentions.0.object_id",
        ),
        ({"mentions": [{"offset": 0, "length": 1}]}, "$.mentions.0.object_id"),
        (
            {"mentions": [{"object_id": "user:1", "offset": -1, "length": 1}]},
            "$.mentions.0.offset",
        ),
    ],
)
async def test_bad_comments_are_400_naming_the_key(
    api: httpx.AsyncClient, desk: Desk, body: dict[str, Any], key: str
) -> None:
    post = await _post(api, desk)
    response = await _comment(api, desk.admin, post["id"], **body)
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["key"] == key


async def test_unsupported_or_foreign_objects_are_refused(
    api: httpx.AsyncClient, desk: Desk, make_desk: Any
) -> None:
    unsupported = await _comment(api, desk.admin, "brief:1")
    assert unsupported.status_code == 400
    assert unsupported.json()["errors"][0]["key"] == "$.object_id"
    post = await _post(api, desk)
    other: Desk = await make_desk()
    foreign = await _comment(api, other.admin, post["id"])
    assert foreign.status_code == 403
    assert foreign.json()["errors"][0]["key"] == "$.object_id"
    mine = (await _comment(api, desk.admin, post["id"])).json()["data"]
    for method in ("GET", "PUT", "DELETE"):
        response = await api.request(
            method, f"/api/v5/comment/{mine['id']}", json={"body": "x"}, headers=other.admin.headers
        )
        assert response.status_code == 403, (method, response.text)
    listed = await api.get(
        "/api/v5/comment/", params={"object_ids": post["id"]}, headers=other.admin.headers
    )
    assert listed.json()["data"] == []


async def test_only_the_author_or_comment_manage_edits_and_deletes(
    api: httpx.AsyncClient, desk: Desk
) -> None:
    post = await _post(api, desk)
    author = await desk.account.user(("community-manager", desk.license))
    colleague = await desk.account.user(("community-manager", desk.license))
    created = (await _comment(api, author, post["id"])).json()["data"]
    refused = await api.put(
        f"/api/v5/comment/{created['id']}", json={"body": "Mine now"}, headers=colleague.headers
    )
    assert refused.status_code == 403
    assert (
        await api.delete(f"/api/v5/comment/{created['id']}", headers=colleague.headers)
    ).status_code == 403
    edited = await api.put(
        f"/api/v5/comment/{created['id']}", json={"body": "Edited"}, headers=author.headers
    )
    assert edited.status_code == 200
    assert edited.json()["data"]["body"] == "Edited"
    reply = (await _comment(api, colleague, post["id"], parent_comment_id=created["id"])).json()[
        "data"
    ]
    # The account admin holds comment:manage: deleting the comment takes its replies along.
    gone = await api.delete(f"/api/v5/comment/{created['id']}", headers=desk.admin.headers)
    assert gone.status_code == 204
    left = await api.get(
        "/api/v5/comment/", params={"ids": reply["id"]}, headers=desk.admin.headers
    )
    assert left.json()["data"] == []


async def test_object_id_is_an_alias_and_an_include(api: httpx.AsyncClient, desk: Desk) -> None:
    post = await _post(api, desk)
    made = await _comment(api, desk.admin, post["id"])
    assert made.status_code == 201, made.text
    listed = await api.get(
        "/api/v5/comment/",
        params={"object_id": post["id"], "include": "user_id,object_id"},
        headers=desk.admin.headers,
    )
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert [c["id"] for c in body["data"]] == [made.json()["data"]["id"]]
    assert [p["id"] for p in body["include"]["post"]] == [post["id"]]
    assert [u["id"] for u in body["include"]["user"]] == [desk.admin.wire]
    other = await api.get(
        "/api/v5/comment/", params={"object_id": "post:999999"}, headers=desk.admin.headers
    )
    assert other.status_code == 200 and other.json()["data"] == []
    bad = await api.get(
        "/api/v5/comment/", params={"object_id": "nope"}, headers=desk.admin.headers
    )
    assert bad.status_code == 400 and bad.json()["errors"][0]["key"] == "$.object_id"


async def test_mentions_are_spans_of_the_body_in_the_sdks_shape(
    api: httpx.AsyncClient, desk: Desk
) -> None:
    post = await _post(api, desk)
    me = desk.admin.wire
    legacy = await _comment(api, desk.admin, post["id"], mentions=[me])
    assert legacy.status_code == 201, legacy.text
    assert legacy.json()["data"]["mentions"] == [{"object_id": me, "offset": 0, "length": 0}]
    aliased = await _comment(
        api, desk.admin, post["id"], mentions=[{"user_id": me, "offset": 0, "length": 5}]
    )
    assert aliased.json()["data"]["mentions"] == [{"object_id": me, "offset": 0, "length": 5}]
    outside = await _comment(
        api, desk.admin, post["id"], mentions=[{"object_id": me, "offset": 8, "length": 5}]
    )
    assert outside.status_code == 400
    assert outside.json()["errors"][0]["key"] == "$.mentions.0"
    comment_id = aliased.json()["data"]["id"]
    moved = {"object_id": me, "offset": 2, "length": 3}
    updated = await api.put(
        f"/api/v5/comment/{comment_id}",
        json={"mentions": [moved]},
        headers=desk.admin.headers,
    )
    assert updated.status_code == 200, updated.text
    shown = await api.get(f"/api/v5/comment/{comment_id}", headers=desk.admin.headers)
    assert shown.json()["data"]["mentions"] == [moved]
