"""Comments and attachments on records, events and submissions: the polymorphic target,
the signed expiring file link, the 10 MB limit, the includes, tenants kept apart."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import httpx
import pytest
from tests.perscom.conftest import Org
from tests.perscom.factories import create

pytestmark = pytest.mark.anyio

RECORD = "App\\Models\\AwardRecord"


async def test_comment_on_a_record_is_included(api: httpx.AsyncClient, org: Org) -> None:
    record = await create(api, "award-records")
    made = await api.post(
        "/v1/comments",
        json={"comment": "Well earned", "model_type": RECORD, "model_id": record["id"]},
    )
    assert made.status_code == 201, made.text
    comment = made.json()["data"]
    assert comment["author_id"] == org.user_id
    shown = await api.get(f"/v1/award-records/{record['id']}?include=comments,comments.author")
    assert shown.status_code == 200, shown.text
    [listed] = shown.json()["data"]["comments"]
    assert listed["comment"] == "Well earned"
    assert listed["author"]["id"] == org.user_id
    target = await api.get(f"/v1/comments/{comment['id']}?include=commentable")
    assert target.json()["data"]["commentable"]["id"] == record["id"]


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ({"comment": "x", "model_type": "App\\Models\\Nope", "model_id": 1}, "model_type"),
        ({"comment": "x", "model_type": RECORD, "model_id": 999999999}, "model_id"),
        ({"model_type": RECORD}, "comment"),
    ],
)
async def test_bad_comments_are_422(
    api: httpx.AsyncClient, body: dict[str, object], key: str
) -> None:
    response = await api.post("/v1/comments", json=body)
    assert response.status_code == 422, response.text
    assert key in response.json()["error"]["errors"]


async def test_attachment_url_is_signed_and_expires(
    api: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    event = await create(api, "events")
    made = await api.post(
        "/v1/attachments",
        data={"name": "Op order", "model_type": "App\\Models\\Event", "model_id": str(event["id"])},
        files={"file": ("order.pdf", b"%PDF-1.4 hello", "application/pdf")},
    )
    assert made.status_code == 201, made.text
    attachment = made.json()["data"]
    assert attachment["filename"] == "order.pdf"
    url = urlsplit(attachment["attachment_url"])
    assert "signature=" in url.query and "expires=" in url.query
    fetched = await client.get(f"{url.path}?{url.query}")
    assert fetched.status_code == 200
    assert fetched.content == b"%PDF-1.4 hello"
    assert fetched.headers["content-type"] == "application/pdf"
    unsigned = await client.get(url.path)
    assert unsigned.status_code == 403
    expired = url.query.replace("expires=", "expires=1").split("&")
    forged = await client.get(f"{url.path}?{'&'.join(expired)}")
    assert forged.status_code == 403
    assert int(dict(p.split("=") for p in url.query.split("&"))["expires"]) > time.time()
    shown = await api.get(f"/v1/events/{event['id']}?include=attachments")
    assert [a["id"] for a in shown.json()["data"]["attachments"]] == [attachment["id"]]


async def test_an_11_mb_attachment_is_refused(api: httpx.AsyncClient) -> None:
    before = (await api.get("/v1/attachments")).json()["meta"]["total"]
    response = await api.post(
        "/v1/attachments",
        data={"name": "Too big"},
        files={"file": ("big.bin", b"\0" * (11 * 1024 * 1024), "application/octet-stream")},
    )
    assert response.status_code == 422, response.text
    assert "file" in response.json()["error"]["errors"]
    assert (await api.get("/v1/attachments")).json()["meta"]["total"] == before


async def test_submission_comments_include(api: httpx.AsyncClient) -> None:
    submission = await create(api, "submissions")
    await api.post(
        "/v1/comments",
        json={
            "comment": "Approved",
            "model_type": "App\\Models\\Submission",
            "model_id": submission["id"],
        },
    )
    shown = await api.get(f"/v1/submissions/{submission['id']}?include=comments")
    assert [c["comment"] for c in shown.json()["data"]["comments"]] == ["Approved"]


async def test_comments_of_another_tenant_stay_apart(
    api: httpx.AsyncClient, api_b: httpx.AsyncClient
) -> None:
    record = await create(api_b, "combat-records")
    response = await api.post(
        "/v1/comments",
        json={
            "comment": "Sneaky",
            "model_type": "App\\Models\\CombatRecord",
            "model_id": record["id"],
        },
    )
    assert response.status_code == 422, response.text
    shown = await api_b.get(f"/v1/combat-records/{record['id']}?include=comments")
    assert shown.json()["data"]["comments"] == []


async def test_deleting_a_record_deletes_its_comments_and_attachments(
    api: httpx.AsyncClient,
) -> None:
    record = await create(api, "service-records")
    target = {"model_type": "App\\Models\\ServiceRecord", "model_id": record["id"]}
    comment = (await api.post("/v1/comments", json={"comment": "Noted", **target})).json()["data"]
    attachment = await api.post(
        "/v1/attachments",
        data={"name": "Scan", **{k: str(v) for k, v in target.items()}},
        files={"file": ("scan.txt", b"scan", "text/plain")},
    )
    assert attachment.status_code == 201, attachment.text
    assert (await api.delete(f"/v1/service-records/{record['id']}")).status_code == 200
    assert (await api.get(f"/v1/comments/{comment['id']}")).status_code == 404
    gone = await api.get(f"/v1/attachments/{attachment.json()['data']['id']}")
    assert gone.status_code == 404


async def test_a_users_nested_attachments_take_the_user_from_the_path(
    api: httpx.AsyncClient, api_b: httpx.AsyncClient, org: Org
) -> None:
    made = await api.post(
        f"/v1/users/{org.user_id}/attachments",
        data={"name": "Enlistment papers"},
        files={"file": ("papers.pdf", b"%PDF-1.4 papers", "application/pdf")},
    )
    assert made.status_code == 201, made.text
    attachment = made.json()["data"]
    assert attachment["model_type"] == "App\\Models\\User"
    assert attachment["model_id"] == org.user_id
    listed = await api.get(f"/v1/users/{org.user_id}/attachments")
    assert [a["id"] for a in listed.json()["data"]] == [attachment["id"]]
    shown = await api.get(f"/v1/users/{org.user_id}?include=attachments")
    assert [a["id"] for a in shown.json()["data"]["attachments"]] == [attachment["id"]]
    foreign = await api_b.get(f"/v1/users/{org.user_id}/attachments")
    assert foreign.status_code == 404, foreign.text
    taken = await api_b.post(
        f"/v1/users/{org.user_id}/attachments",
        data={"name": "x"},
        files={"file": ("x.pdf", b"%PDF-1.4 x", "application/pdf")},
    )
    assert taken.status_code == 404, taken.text
    gone = await api.delete(f"/v1/users/{org.user_id}/attachments/{attachment['id']}")
    assert gone.status_code == 200, gone.text
    assert (await api.get(f"/v1/users/{org.user_id}/attachments")).json()["data"] == []
