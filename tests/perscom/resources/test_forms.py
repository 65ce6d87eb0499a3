"""Forms, fields and submissions (§3.4): answers validated against the form's fields and
flattened to the top level, the form's first status, public forms, files, nested routes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from tests.perscom.conftest import Org, OrgFactory, bearer

pytestmark = pytest.mark.anyio


async def post(api: httpx.AsyncClient, path: str, **body: Any) -> dict[str, Any]:
    response = await api.post(path, json=body)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def application(api: httpx.AsyncClient, *, public: bool = False) -> dict[str, Any]:
    """A form asking a required name, a number, a select, a boolean and a file."""
    status = await post(api, "/v1/statuses", name="Pending", color="#cccccc")
    form = await post(
        api,
        "/v1/forms",
        name="Enlistment",
        slug=f"enlistment-{public}",
        is_public=public,
        submission_status_id=status["id"],
    )
    specs = [
        {"name": "Full name", "key": "full_name", "type": "text", "required": True},
        {"name": "Age", "key": "age", "type": "number"},
        {
            "name": "Branch",
            "key": "branch",
            "type": "select",
            "options": {"army": "Army", "navy": "Navy"},
        },
        {"name": "Adult", "key": "adult", "type": "boolean"},
        {"name": "Papers", "key": "papers", "type": "file"},
    ]
    fields = [await post(api, "/v1/fields", **spec) for spec in specs]
    attached = await api.post(
        f"/v1/forms/{form['id']}/fields/attach",
        json={"resources": {str(f["id"]): {"order": i} for i, f in enumerate(fields)}},
    )
    assert attached.status_code == 200, attached.text
    return {**form, "status": status, "fields": fields}


async def test_submission_answers_are_flattened_and_get_the_forms_status(
    api: httpx.AsyncClient, org: Org
) -> None:
    form = await application(api)
    listed = await api.get(f"/v1/forms/{form['id']}?include=fields")
    assert [f["key"] for f in listed.json()["data"]["fields"]] == [
        "full_name",
        "age",
        "branch",
        "adult",
        "papers",
    ]
    made = await api.post(
        "/v1/submissions?include=statuses,form",
        json={
            "form_id": form["id"],
            "user_id": org.user_id,
            "full_name": "Ada King",
            "age": "31",
            "branch": "navy",
            "adult": True,
            "ignored": "dropped",
        },
    )
    assert made.status_code == 201, made.text
    data = made.json()["data"]
    assert data["full_name"] == "Ada King"
    assert data["age"] == 31
    assert data["branch"] == "navy"
    assert data["adult"] is True
    assert "ignored" not in data and "data" not in data
    assert data["form"]["id"] == form["id"]
    assert [s["id"] for s in data["statuses"]] == [form["status"]["id"]]
    assert data["statuses"][0]["text_color"] == "#cccccc"
    v2 = await api.get(f"/v2/submissions/{data['id']}?include=statuses")
    assert "text_color" not in v2.json()["data"]["statuses"][0]

    shown = await api.get(f"/v2/submissions/{data['id']}")
    assert shown.json()["data"]["full_name"] == "Ada King"
    patched = await api.patch(f"/v1/submissions/{data['id']}", json={"age": 32})
    assert patched.status_code == 200, patched.text
    assert patched.json()["data"]["age"] == 32
    assert patched.json()["data"]["full_name"] == "Ada King"

    nested = await api.get(f"/v1/forms/{form['id']}/submissions")
    assert [s["id"] for s in nested.json()["data"]] == [data["id"]]
    through_form = await api.post(
        f"/v1/forms/{form['id']}/submissions", json={"user_id": None, "full_name": "Bo"}
    )
    assert through_form.status_code == 201, through_form.text
    assert through_form.json()["data"]["form_id"] == form["id"]

    approved = await post(api, "/v1/statuses", name="Approved", color="#00ff00")
    attach = await api.post(
        f"/v1/submissions/{data['id']}/statuses/attach",
        json={"resources": {str(approved["id"]): {"text": "Welcome aboard"}}},
    )
    assert attach.status_code == 200, attach.text
    statuses = await api.get(f"/v1/submissions/{data['id']}/statuses")
    texts = {s["id"]: s["pivot"]["text"] for s in statuses.json()["data"]}
    assert texts == {form["status"]["id"]: None, approved["id"]: "Welcome aboard"}
    synced = await api.get("/v2/submissions?include=statuses,statuses.record&limit=500&page=1")
    assert synced.status_code == 200, synced.text
    mine = next(s for s in synced.json()["data"] if s["id"] == data["id"])
    assert {s["record"]["text"] for s in mine["statuses"]} == {None, "Welcome aboard"}
    assert synced.json()["meta"]["last_page"] == 1
    by_status = await api.get(f"/v1/statuses/{approved['id']}?include=submissions")
    assert [s["id"] for s in by_status.json()["data"]["submissions"]] == [data["id"]]

    deleted = await api.delete(f"/v1/submissions/{data['id']}")
    assert deleted.status_code == 200
    assert deleted.json()["data"]["full_name"] == "Ada King"


async def test_bad_answers_are_422_and_write_nothing(api: httpx.AsyncClient, org: Org) -> None:
    form = await application(api)
    missing = await api.post("/v1/submissions", json={"form_id": form["id"], "user_id": None})
    assert missing.status_code == 422
    error = missing.json()["error"]
    assert error["type"] == "ValidationException"
    assert error["errors"] == {"full_name": ["The full name field is required."]}
    wrong = await api.post(
        "/v1/submissions",
        json={
            "form_id": form["id"],
            "user_id": None,
            "full_name": "X",
            "age": "old",
            "branch": "air",
            "adult": "maybe",
            "papers": "not a file",
        },
    )
    assert wrong.status_code == 422
    assert set(wrong.json()["error"]["errors"]) == {"age", "branch", "adult", "papers"}
    for age in ("1" * 30, "nan", "1e999", [1], {"a": 1}):
        huge = await api.post(
            "/v1/submissions",
            json={"form_id": form["id"], "user_id": None, "full_name": "X", "age": age},
        )
        assert huge.status_code == 422, (age, huge.text)
    batch = await api.post(
        "/v1/submissions/batch",
        json={
            "resources": [
                {"form_id": form["id"], "user_id": None, "full_name": "Ok"},
                {"form_id": form["id"], "user_id": None},
            ]
        },
    )
    assert batch.status_code == 422
    assert set(batch.json()["error"]["errors"]) == {"resources.1.full_name"}
    assert (await api.get("/v1/submissions")).json()["meta"]["total"] == 0


async def test_files_are_multipart_and_answer_with_a_url(api: httpx.AsyncClient) -> None:
    form = await application(api)
    made = await api.post(
        "/v1/submissions",
        data={"form_id": str(form["id"]), "user_id": "", "full_name": "Cy"},
        files={"papers": ("orders.pdf", b"%PDF-1.4 test", "application/pdf")},
    )
    assert made.status_code == 201, made.text
    data = made.json()["data"]
    assert data["papers"].endswith(".pdf")
    assert data["papers_url"].startswith("http")
    too_big = await api.post(
        "/v1/submissions",
        data={"form_id": str(form["id"]), "user_id": "", "full_name": "Cy"},
        files={"papers": ("big.bin", b"\0" * (11 * 1024 * 1024), "application/octet-stream")},
    )
    assert too_big.status_code == 422, too_big.text
    assert "papers" in too_big.json()["error"]["errors"]
    assert (await api.get("/v1/submissions")).json()["meta"]["total"] == 1


async def test_public_forms_take_submissions_without_the_scope(
    api: httpx.AsyncClient, client: httpx.AsyncClient, org: Org, make_key: Any
) -> None:
    public = await application(api, public=True)
    private = await post(api, "/v1/forms", name="Leave", slug="leave", is_public=False)
    _, token = await make_key(org.tenant_id, ["view:form"])
    headers = bearer(token, org.tenant_id)
    refused = await client.post(
        "/v1/submissions", json={"form_id": private["id"], "user_id": None}, headers=headers
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["message"].startswith("The API key provided")
    nested = await client.post(
        f"/v1/forms/{private['id']}/submissions", json={"user_id": None}, headers=headers
    )
    assert nested.status_code == 403
    taken = await client.post(
        "/v1/submissions",
        json={"form_id": public["id"], "user_id": None, "full_name": "Di"},
        headers=headers,
    )
    assert taken.status_code == 201, taken.text
    assert (await api.get("/v1/submissions")).json()["meta"]["total"] == 1


async def test_fields_refuse_bad_keys_types_and_option_models(api: httpx.AsyncClient) -> None:
    for body, key in [
        ({"name": "A", "key": "Not Snake", "type": "text"}, "key"),
        ({"name": "A", "key": "a_key", "type": "hologram"}, "type"),
        (
            {"name": "A", "key": "a_key", "type": "select", "options_model": "spaceships"},
            "options_model",
        ),
        ({"name": "A", "key": "a_key", "type": "select", "options": "x"}, "options"),
    ]:
        response = await api.post("/v1/fields", json=body)
        assert response.status_code == 422, response.text
        assert key in response.json()["error"]["errors"]
    ok = await post(
        api,
        "/v1/fields",
        name="Rank",
        key="rank_choice",
        type="select",
        options_type="model",
        options_model="ranks",
    )
    assert ok["options_model"] == "ranks"
    again = await api.post("/v1/fields", json={"name": "B", "key": "rank_choice", "type": "text"})
    assert again.status_code == 422
    assert (await api.get("/v1/fields")).json()["meta"]["total"] == 1
    dup = await api.post("/v1/forms", json={"name": "F", "slug": "f", "is_public": True})
    assert dup.status_code == 201
    taken = await api.post("/v1/forms", json={"name": "G", "slug": "f", "is_public": True})
    assert taken.status_code == 422
    assert "slug" in taken.json()["error"]["errors"]


async def test_users_fields_and_categories_forms(api: httpx.AsyncClient, org: Org) -> None:
    field = await post(api, "/v1/fields", name="Callsign", key="callsign", type="text")
    attached = await api.post(
        f"/v1/users/{org.user_id}/fields/attach", json={"resources": [field["id"]]}
    )
    assert attached.status_code == 200, attached.text
    user = await api.get(f"/v1/users/{org.user_id}?include=fields")
    assert [f["key"] for f in user.json()["data"]["fields"]] == ["callsign"]
    form = await post(api, "/v1/forms", name="Leave", slug="leave", is_public=False)
    category = await post(api, "/v1/categories", name="Personnel", resource="forms")
    filed = await api.post(
        f"/v1/categories/{category['id']}/forms/attach", json={"resources": [form["id"]]}
    )
    assert filed.status_code == 200, filed.text
    shown = await api.get(f"/v1/categories/{category['id']}?include=forms")
    assert [f["id"] for f in shown.json()["data"]["forms"]] == [form["id"]]


async def test_another_tenants_form_cannot_take_a_submission(
    api: httpx.AsyncClient, api_b: httpx.AsyncClient, make_org: OrgFactory
) -> None:
    theirs = await application(api_b, public=True)
    response = await api.post(
        "/v1/submissions", json={"form_id": theirs["id"], "user_id": None, "full_name": "Ed"}
    )
    assert response.status_code in (403, 422)
    assert (await api_b.get("/v1/submissions")).json()["meta"]["total"] == 0


async def test_batches_on_public_forms_need_no_scope(
    api: httpx.AsyncClient, client: httpx.AsyncClient, org: Org, make_key: Any
) -> None:
    public = await application(api, public=True)
    private = await post(api, "/v1/forms", name="Leave", slug="leave", is_public=False)
    _, token = await make_key(org.tenant_id, ["view:form"])
    headers = bearer(token, org.tenant_id)
    answers = [{"user_id": None, "full_name": name} for name in ("Al", "Bo")]
    taken = await client.post(
        "/v1/submissions/batch",
        json={"resources": [{"form_id": public["id"], **a} for a in answers]},
        headers=headers,
    )
    assert taken.status_code == 200, taken.text
    assert [s["full_name"] for s in taken.json()["data"]] == ["Al", "Bo"]
    nested = await client.post(
        f"/v1/forms/{public['id']}/submissions/batch",
        json={"resources": answers[:1]},
        headers=headers,
    )
    assert nested.status_code == 200, nested.text
    mixed = await client.post(
        "/v1/submissions/batch",
        json={
            "resources": [
                {"form_id": public["id"], **answers[0]},
                {"form_id": private["id"], "user_id": None},
            ]
        },
        headers=headers,
    )
    assert mixed.status_code == 403, mixed.text
    refused = await client.post(
        f"/v1/forms/{private['id']}/submissions/batch",
        json={"resources": [{"user_id": None}]},
        headers=headers,
    )
    assert refused.status_code == 403
    empty = await client.post("/v1/submissions/batch", json={"resources": []}, headers=headers)
    assert empty.status_code in (403, 422)
    assert (await api.get("/v1/submissions")).json()["meta"]["total"] == 3
