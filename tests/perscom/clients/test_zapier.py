"""The PERSCOM Zapier app's own flow (zapier-platform-core 15), replayed against a live
Tenantry on a real socket with the headers and bodies the app sends (clients.md §3):
authorize with sign-in and consent, the JSON token exchange, the connection test, every
trigger, search and action, a refresh, and the refresh-and-retry it does on any 401.
Each step asserts what the app reads: ``response.data.data``."""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from tests.perscom.oauth_support import REDIRECT_URI, Client, Orgs
from tests.signin import Person, csrf_of, query_of, sign_in

pytestmark = pytest.mark.anyio

USER_FIELDS = (
    "id",
    "name",
    "email",
    "position_id",
    "rank_id",
    "specialty_id",
    "status_id",
    "unit_id",
    "email_verified_at",
    "last_seen_at",
    "created_at",
    "updated_at",
    "approved",
)
"""Declared output fields of the app's user steps (the ones PERSCOM's user has)."""


class Zapier:
    """What the app sends: ``z.request`` with its auth fields and the headers it adds."""

    def __init__(self, http: httpx.AsyncClient, client: Client, perscom_id: int) -> None:
        self.http = http
        self.client = client
        self.perscom_id = perscom_id
        self.access_token = ""
        self.refresh_token: str | None = None
        self.refreshes = 0

    def headers(self, *, body: bool = False) -> list[tuple[str, str]]:
        headers = [
            ("Authorization", f"Bearer {self.access_token}"),
            ("X-Perscom-Id", str(self.perscom_id)),
            ("X-Perscom-Zapier", "true"),
            ("Accept", "application/json"),
        ]
        if body:  # an object body: z.request adds its own content type first
            headers.append(("content-type", "application/json; charset=utf-8"))
        headers += [
            ("Content-Type", "application/json"),
            ("user-agent", "Zapier"),
            ("Accept-Encoding", "gzip,deflate"),
        ]
        return headers

    async def exchange(self, code: str) -> None:
        body = {
            "client_id": self.client.client_id,
            "client_secret": self.client.secret,
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
        }
        response = await self.http.post(
            "/oauth/token",
            content=json.dumps(body),
            headers=[
                ("content-type", "application/json"),
                ("user-agent", "Zapier"),
                ("Accept", "*/*"),
            ],
        )
        assert response.status_code == 200, response.text
        self.access_token = response.json()["access_token"]
        self.refresh_token = response.json()["refresh_token"]
        assert isinstance(self.access_token, str) and isinstance(self.refresh_token, str)

    async def refresh(self) -> None:
        body: dict[str, Any] = {
            "client_id": self.client.client_id,
            "client_secret": self.client.secret,
            "grant_type": "refresh_token",
        }
        if self.refresh_token is not None:
            body["refresh_token"] = self.refresh_token
        headers = [*self.headers(), ("content-type", "application/json")]
        response = await self.http.post("/oauth/token", content=json.dumps(body), headers=headers)
        assert response.status_code == 200, response.text
        self.access_token = response.json()["access_token"]
        self.refresh_token = response.json().get("refresh_token")
        self.refreshes += 1

    async def call(self, method: str, path: str, body: object = None) -> Any:
        """One API call; on 401 refresh and retry once (``autoRefresh``); the app reads
        ``response.data.data`` and fails the step on any other 4xx/5xx."""
        for attempt in range(2):
            if isinstance(body, str):  # the update action's raw "Payload" string
                response = await self.http.request(
                    method, path, content=body, headers=self.headers()
                )
            elif body is not None:
                response = await self.http.request(
                    method, path, content=json.dumps(body), headers=self.headers(body=True)
                )
            else:
                response = await self.http.request(method, path, headers=self.headers())
            if response.status_code == 401 and attempt == 0:
                await self.refresh()
                continue
            assert 200 <= response.status_code < 300, response.text
            return response.json()["data"]
        raise AssertionError("unreachable")


async def _authorize(http: httpx.AsyncClient, client: Client, person: Person) -> str:
    """The browser half: the app's URL (parameters in its order), sign-in, consent."""
    url = (
        f"/oauth/authorize?client_id={client.client_id}&state=zap-42"
        f"&redirect_uri={quote(REDIRECT_URI, safe='')}&response_type=code"
    )
    first = await http.get(url)
    assert first.status_code == 303 and first.headers["location"].startswith("/login")
    await sign_in(http, person, next_path=url)
    consent = await http.get(url)
    assert consent.status_code == 200 and "Zapier" in consent.text
    answer = await http.post(url, data={"csrf_token": csrf_of(consent.text), "decision": "allow"})
    assert answer.status_code == 302
    location = answer.headers["location"]
    assert location.startswith(REDIRECT_URI + "?")
    query = query_of(location)
    assert query["state"] == "zap-42"
    return query["code"]


def _assert_user(row: Any) -> None:
    assert isinstance(row, dict) and row["id"] is not None
    missing = [field for field in USER_FIELDS if field not in row]
    assert not missing, missing


async def test_the_zapier_app_connects_and_runs_every_step(dashboard: str, orgs: Orgs) -> None:
    tenant = await orgs.tenant()
    person = await orgs.person(tenant, name="Ada Lovelace")
    app_client = await orgs.client(tenant, name="Zapier")
    async with (
        httpx.AsyncClient(base_url=dashboard) as browser,
        httpx.AsyncClient(base_url=dashboard) as http,
    ):
        zap = Zapier(http, app_client, tenant)
        await zap.exchange(await _authorize(browser, app_client, person))

        me = await zap.call("GET", "/v1/me")  # the connection test
        assert [row["id"] for row in me] == [person.user_id]

        listed = await zap.call("GET", "/v1/users")  # trigger "List Users"
        assert isinstance(listed, list) and listed
        ids = [row["id"] for row in listed]
        assert len(ids) == len(set(ids))
        for row in listed:
            _assert_user(row)

        shown = await zap.call("GET", f"/v1/users/{person.user_id}")
        _assert_user(shown)
        assert shown["email"] == person.email

        found = await zap.call("POST", "/v1/users/search", {"search": {"value": "Lovelace"}})
        assert [row["id"] for row in found] == [person.user_id]

        # "Find or Create User": the search finds nothing, so the create runs.
        email = f"grace-{uuid.uuid4().hex[:6]}@example.org"
        assert await zap.call("POST", "/v1/users/search", {"search": {"value": email}}) == []
        created = await zap.call("POST", "/v1/users", {"name": "Grace Hopper", "email": email})
        _assert_user(created)
        assert created["name"] == "Grace Hopper" and created["email"] == email

        updated = await zap.call("PUT", f"/v1/users/{created['id']}", '{"name":"Ada King"}')
        _assert_user(updated)
        assert updated["name"] == "Ada King" and updated["id"] == created["id"]

        # A refresh, then the old access token is gone: the next call gets 401, refreshes
        # and retries, as autoRefresh does.
        await zap.refresh()
        stale = zap.access_token
        await zap.refresh()
        zap.access_token = stale
        again = await zap.call("GET", "/v1/me")
        assert [row["id"] for row in again] == [person.user_id]
        assert zap.refreshes == 3
