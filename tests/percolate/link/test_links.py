"""The links plugin, self-hosted: short URLs served at ``/l/<code>`` with click counts,
tracking URLs, ``link_ids`` on posts and ``/api/v5/link/`` (a Tenantry addition)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from tests.percolate.support.desks import Desk, make_post, make_schema

from tenantry.percolate.link import redirect as link_redirect
from tenantry.percolate.link import service as links
from tenantry.settings import Settings

pytestmark = pytest.mark.anyio

TEXT = "Read https://example.com/a and http://example.org/b?x=1#top now"
PLAIN = {"url": "https://example.com/a", "offset": 5, "length": 21, "shorten": True}
TRACKED = {
    "url": "http://example.org/b?x=1#top",
    "offset": 31,
    "length": 28,
    "shorten": True,
    "track": True,
    "tracking_tag_ids": ["tracking_tag:3"],
}
LINKS_SCHEMA: dict[str, Any] = {
    "name": "Linked message",
    "fields": [{"key": "message", "type": "textarea", "required": True}],
    "plugins": [{"key": "links", "type": "links", "field_key": "message", "ext": None}],
}


async def _schema(api: httpx.AsyncClient, desk: Desk) -> str:
    schema = await make_schema(api, desk.admin, **LINKS_SCHEMA)
    return str(schema["id"])


async def _post(
    api: httpx.AsyncClient, desk: Desk, entries: list[dict[str, Any]], text: str = TEXT
) -> dict[str, Any]:
    schema_id = await _schema(api, desk)
    return await make_post(api, desk, schema_id, ext={"message": text, "links": entries})


def _code(short: str) -> str:
    return short.rpartition("/l/")[2]


async def _link(api: httpx.AsyncClient, desk: Desk, link_id: str) -> dict[str, Any]:
    response = await api.get(f"/api/v5/link/{link_id}", headers=desk.admin.headers)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def _put(api: httpx.AsyncClient, desk: Desk, post_id: str, **body: Any) -> dict[str, Any]:
    response = await api.put(f"/api/v5/post/{post_id}", json=body, headers=desk.admin.headers)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def test_shortened_links_get_server_made_urls_and_are_the_posts_link_ids(
    api: httpx.AsyncClient, desk: Desk, settings: Settings
) -> None:
    plain_only = {"url": "https://example.net/", "offset": 0, "length": 4}
    post = await _post(api, desk, [PLAIN, TRACKED, plain_only])
    first, second, third = post["ext"]["links"]
    prefix = settings.base_url.rstrip("/") + "/l/"
    assert first["short_url"].startswith(prefix) and first["tracking_url"] == ""
    assert second["short_url"].startswith(prefix)
    assert len(_code(first["short_url"])) == 8 and first["short_url"] != second["short_url"]
    tracked = urlsplit(second["tracking_url"])
    assert (tracked.scheme, tracked.netloc, tracked.path) == ("http", "example.org", "/b")
    assert tracked.fragment == "top"
    query = parse_qs(tracked.query)
    assert query["x"] == ["1"] and len(query["__prclt"][0]) == 12
    assert second["tracking_tag_ids"] == ["tracking_tag:3"]
    assert (third["short_url"], third["tracking_url"], third["shorten"]) == ("", "", False)
    assert len(post["link_ids"]) == 2

    listed = await api.get(
        "/api/v5/link/", params={"object_ids": post["id"]}, headers=desk.admin.headers
    )
    assert listed.status_code == 200, listed.text
    by_id = {link["id"]: link for link in listed.json()["data"]}
    assert list(by_id) == post["link_ids"]
    made = [by_id[key] for key in post["link_ids"]]
    assert [link["short_url"] for link in made] == [first["short_url"], second["short_url"]]
    assert made[1]["tracking_url"] == second["tracking_url"]
    assert made[1]["tracking_tag_ids"] == ["tracking_tag:3"]
    assert {link["object_id"] for link in made} == {post["id"]}
    assert {link["clicks"] for link in made} == {0}
    assert made[0]["scope_id"] == desk.license

    again = await api.get(f"/api/v5/post/{post['id']}", headers=desk.admin.headers)
    assert again.json()["data"]["link_ids"] == post["link_ids"]
    assert again.json()["data"]["ext"] == post["ext"]


async def test_following_a_short_url_redirects_and_counts_each_get(
    api: httpx.AsyncClient, desk: Desk
) -> None:
    post = await _post(api, desk, [PLAIN, TRACKED])
    first, second = post["ext"]["links"]
    for _ in range(3):
        response = await api.get(f"/l/{_code(first['short_url'])}")
        assert response.status_code == 302
        assert response.headers["location"] == PLAIN["url"]
        assert response.headers["cache-control"] == "no-store"
    tracked = await api.get(f"/l/{_code(second['short_url'])}")
    assert tracked.status_code == 302
    assert tracked.headers["location"] == second["tracking_url"]
    peek = await api.head(f"/l/{_code(first['short_url'])}")
    assert peek.status_code == 302 and peek.headers["location"] == PLAIN["url"]

    plain_id, tracked_id = post["link_ids"]
    assert (await _link(api, desk, plain_id))["clicks"] == 3
    assert (await _link(api, desk, tracked_id))["clicks"] == 1


async def test_an_unknown_code_is_a_plain_404(api: httpx.AsyncClient) -> None:
    for path in ("/l/AAAAAAAA", "/l/no%20such", "/l/" + "x" * 40):
        response = await api.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("text/plain")
    assert (await api.head("/l/AAAAAAAA")).status_code == 404


async def test_one_address_following_too_many_links_is_told_to_wait(
    api: httpx.AsyncClient, desk: Desk
) -> None:
    post = await _post(api, desk, [PLAIN])
    code = _code(post["ext"]["links"][0]["short_url"])
    allowed = int(link_redirect.RATE.split("/")[0])
    for _ in range(allowed - 1):
        assert (await api.get("/l/not!a!code")).status_code == 404
    assert (await api.get(f"/l/{code}")).status_code == 302
    blocked = await api.get(f"/l/{code}")
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) >= 1
    assert (await _link(api, desk, post["link_ids"][0]))["clicks"] == 1


async def test_client_sent_short_and_tracking_urls_are_overwritten(
    api: httpx.AsyncClient, desk: Desk, settings: Settings
) -> None:
    forged = {**PLAIN, "short_url": "https://evil.example/x", "tracking_url": "https://evil/"}
    unshortened = {
        "url": "https://example.com/a",
        "offset": 5,
        "length": 21,
        "short_url": "https://evil.example/y",
        "tracking_url": "https://evil.example/z",
    }
    post = await _post(api, desk, [forged, unshortened])
    kept, blanked = post["ext"]["links"]
    assert kept["short_url"].startswith(settings.base_url.rstrip("/") + "/l/")
    assert kept["tracking_url"] == ""
    assert (blanked["short_url"], blanked["tracking_url"]) == ("", "")
    response = await api.get(f"/l/{_code(kept['short_url'])}")
    assert response.headers["location"] == PLAIN["url"]
    # The keyword index holds what was stored, not what the client sent.
    for word, hits in (("evil.example", 0), (_code(kept["short_url"]).lower(), 1)):
        found = await api.get(
            "/api/v5/post/",
            params={"keywords": word, "ids": post["id"]},
            headers=desk.admin.headers,
        )
        assert found.json()["meta"]["total"] == hits, word


async def test_an_update_reuses_the_links_it_keeps_and_adds_new_ones(
    api: httpx.AsyncClient, desk: Desk
) -> None:
    post = await _post(api, desk, [PLAIN])
    (old,) = post["ext"]["links"]
    (old_id,) = post["link_ids"]
    await api.get(f"/l/{_code(old['short_url'])}")

    text = TEXT + " https://example.com/new"
    added = {"url": "https://example.com/new", "offset": 64, "length": 23, "shorten": True}
    stale = {**old, "short_url": "https://evil.example/old"}
    updated = await _put(api, desk, post["id"], ext={"message": text, "links": [stale, added]})
    kept, new = updated["ext"]["links"]
    assert kept["short_url"] == old["short_url"]
    assert new["short_url"] not in {"", old["short_url"]}
    assert updated["link_ids"][0] == old_id and len(updated["link_ids"]) == 2

    renamed = await _put(api, desk, post["id"], name="Renamed")
    assert renamed["ext"] == updated["ext"] and renamed["link_ids"] == updated["link_ids"]

    tracked = {**added, "track": True}
    switched = await _put(api, desk, post["id"], ext={"message": text, "links": [tracked]})
    (now,) = switched["ext"]["links"]
    assert now["short_url"] not in {old["short_url"], new["short_url"]}
    assert "__prclt=" in now["tracking_url"]
    assert len(switched["link_ids"]) == 1 and old_id not in switched["link_ids"]

    # A link dropped from the text keeps working and keeps its clicks.
    gone = await api.get(f"/l/{_code(old['short_url'])}")
    assert gone.status_code == 302 and gone.headers["location"] == PLAIN["url"]
    assert (await _link(api, desk, old_id))["clicks"] == 2
    listed = await api.get(
        "/api/v5/link/", params={"object_ids": post["id"]}, headers=desk.admin.headers
    )
    assert listed.json()["meta"]["total"] == 3


async def test_a_copy_gets_links_of_its_own(api: httpx.AsyncClient, desk: Desk) -> None:
    source = await _post(api, desk, [PLAIN, TRACKED])
    response = await api.post(
        "/api/v5/post/", json={"copy_from_id": source["id"]}, headers=desk.admin.headers
    )
    assert response.status_code == 201, response.text
    copy = response.json()["data"]
    source_urls = {entry["short_url"] for entry in source["ext"]["links"]}
    copy_urls = {entry["short_url"] for entry in copy["ext"]["links"]}
    assert len(copy_urls) == 2 and not copy_urls & source_urls
    assert not set(copy["link_ids"]) & set(source["link_ids"])
    copied_tracking = copy["ext"]["links"][1]["tracking_url"]
    assert copied_tracking != source["ext"]["links"][1]["tracking_url"]
    assert "__prclt=" in copied_tracking

    await api.get(f"/l/{_code(copy['ext']['links'][0]['short_url'])}")
    assert (await _link(api, desk, copy["link_ids"][0]))["clicks"] == 1
    assert (await _link(api, desk, copy["link_ids"][0]))["object_id"] == copy["id"]
    assert (await _link(api, desk, source["link_ids"][0]))["clicks"] == 0


async def test_deleting_the_post_retires_its_short_urls(api: httpx.AsyncClient, desk: Desk) -> None:
    post = await _post(api, desk, [PLAIN])
    code = _code(post["ext"]["links"][0]["short_url"])
    deleted = await api.delete(f"/api/v5/post/{post['id']}", headers=desk.admin.headers)
    assert deleted.status_code == 204
    assert (await api.get(f"/l/{code}")).status_code == 404
    gone = await api.get(f"/api/v5/link/{post['link_ids'][0]}", headers=desk.admin.headers)
    assert gone.status_code == 403


async def test_links_are_read_only_by_whoever_may_read_the_post(
    api: httpx.AsyncClient, desk: Desk, make_desk: Any
) -> None:
    post = await _post(api, desk, [PLAIN])
    link_id = post["link_ids"][0]
    other: Desk = await make_desk()
    elsewhere = await desk.account.scope("license")
    for caller in (other.admin, await desk.account.user(("community-manager", elsewhere))):
        single = await api.get(f"/api/v5/link/{link_id}", headers=caller.headers)
        assert single.status_code == 403, single.text
        assert single.json()["errors"][0]["key"] == "$.link_id"
        params = {"ids": link_id, "object_ids": post["id"]}
        listed = await api.get("/api/v5/link/", params=params, headers=caller.headers)
        assert listed.status_code == 200 and listed.json()["data"] == []
    wrong = await api.get(
        "/api/v5/link/", params={"object_ids": "link:1"}, headers=desk.admin.headers
    )
    assert wrong.status_code == 400 and wrong.json()["errors"][0]["key"] == "$.object_ids"


@pytest.mark.parametrize(
    ("entry", "key"),
    [
        ({"url": "https://example.com/a", "offset": 50, "length": 21}, "$.ext.links[0]"),
        ({"url": "javascript:alert(1)", "offset": 0, "length": 4}, "$.ext.links[0].url"),
        ({"url": "https://example.com/a", "offset": 0}, "$.ext.links[0].length"),
        (
            {"url": "https://a.b/", "offset": 0, "length": 1, "shorten": "yes"},
            "$.ext.links[0].shorten",
        ),
    ],
)
async def test_bad_link_entries_are_400_naming_the_entry(
    api: httpx.AsyncClient, desk: Desk, entry: dict[str, Any], key: str
) -> None:
    schema_id = await _schema(api, desk)
    response = await api.post(
        "/api/v5/post/",
        json={
            "scope_id": desk.license,
            "channel_id": desk.custom_channel,
            "schema_id": schema_id,
            "ext": {"message": TEXT, "links": [entry]},
        },
        headers=desk.admin.headers,
    )
    assert response.status_code == 400, response.text
    assert [error["key"] for error in response.json()["errors"]] == [key]


async def test_a_code_taken_by_any_account_is_never_handed_out_again(
    api: httpx.AsyncClient, desk: Desk, make_desk: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = await _post(api, desk, [PLAIN])
    taken = _code(first["ext"]["links"][0]["short_url"])
    other: Desk = await make_desk()
    fresh = secrets.token_urlsafe(6)
    codes: Iterator[str] = iter([taken, taken, fresh])
    monkeypatch.setattr(links, "new_code", lambda: next(codes))
    schema = await make_schema(api, other.admin, **LINKS_SCHEMA)
    post = await make_post(api, other, schema["id"], ext={"message": TEXT, "links": [PLAIN]})
    assert _code(post["ext"]["links"][0]["short_url"]) == fresh
    assert (await api.get(f"/l/{fresh}")).status_code == 302
    assert (await _link(api, desk, first["link_ids"][0]))["clicks"] == 0
    await api.get(f"/l/{taken}")
    assert (await _link(api, desk, first["link_ids"][0]))["clicks"] == 1


async def test_the_link_endpoints_are_in_the_v5_spec(api: httpx.AsyncClient) -> None:
    document = (await api.get("/api/v5/spec.json")).json()
    assert document["paths"]["/api/v5/link/"]["get"]["operationId"] == "listLinks"
    assert document["paths"]["/api/v5/link/{link_id}"]["get"]["operationId"] == "getLink"
    assert not any(path.startswith("/l/") for path in document["paths"])
