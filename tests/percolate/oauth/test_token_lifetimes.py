"""Clock-driven token rules (seed): 300 s codes, 30-day tokens, 14-day refresh grace,
one live token per user and client, disabled tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import anyio
import httpx
import pytest
import time_machine
from tests.percolate.support.oauth import (
    Client,
    People,
    Person,
    exchange,
    form_dance,
    issued_token,
    me,
    refresh,
)
from tests.signin import CSRF

pytestmark = pytest.mark.anyio


async def setup(people: People) -> tuple[Person, Client]:
    tenant = await people.tenant()
    return await people.user(tenant), await people.client(tenant)


def at(moment: datetime) -> time_machine.travel:
    return time_machine.travel(moment, tick=False)


async def test_a_code_works_until_300_seconds_and_not_after(
    http: httpx.AsyncClient, people: People
) -> None:
    person, client = await setup(people)
    start = datetime.now(UTC).replace(microsecond=0)
    with at(start):
        late_code = (await form_dance(http, client, person))["code"]
        timely_code = (await form_dance(http, client, person))["code"]

    with at(start + timedelta(seconds=299)):
        assert (await exchange(http, client, timely_code)).status_code == 200
    with at(start + timedelta(seconds=301)):
        late = await exchange(http, client, late_code)
    assert late.status_code == 400
    assert late.json()["error"] == "invalid_grant"


async def test_a_token_is_refused_once_expired(http: httpx.AsyncClient, people: People) -> None:
    person, client = await setup(people)
    start = datetime.now(UTC).replace(microsecond=0)
    with at(start):
        token = await issued_token(http, client, person)
    expires_at = datetime.fromisoformat(token["expires_at"])
    assert expires_at == start + timedelta(days=30)

    with at(expires_at - timedelta(seconds=1)):
        assert (await me(http, token["access_token"])).status_code == 200
    with at(expires_at + timedelta(seconds=1)):
        expired = await me(http, token["access_token"])
    assert expired.status_code == 401
    assert expired.json() == {
        "errors": [
            {"code": "auth:invalid_token", "message": "The access token has expired.", "key": None}
        ]
    }


async def test_refresh_works_13_days_after_expiry_but_not_15(
    http: httpx.AsyncClient, people: People
) -> None:
    person, client = await setup(people)
    start = datetime.now(UTC).replace(microsecond=0)
    with at(start):
        first = await issued_token(http, client, person)
    expired_at = datetime.fromisoformat(first["expires_at"])

    with at(expired_at + timedelta(days=13)):
        renewed = await refresh(http, client, first["refresh_token"])
        assert renewed.status_code == 200, renewed.text
        assert (await me(http, renewed.json()["access_token"])).status_code == 200

    with at(start):
        second = await issued_token(http, client, person)
    with at(datetime.fromisoformat(second["expires_at"]) + timedelta(days=15)):
        too_late = await refresh(http, client, second["refresh_token"])
    assert too_late.status_code == 400
    assert too_late.json()["error"] == "invalid_grant"


async def test_a_new_token_disables_the_previous_one(
    http: httpx.AsyncClient, people: People
) -> None:
    person, client = await setup(people)
    start = datetime.now(UTC).replace(microsecond=0)
    with at(start):
        old = await issued_token(http, client, person)
    with at(start + timedelta(hours=1)):
        new = await issued_token(http, client, person)
        assert (await me(http, new["access_token"])).status_code == 200
        superseded = await me(http, old["access_token"])
        assert superseded.status_code == 401
        assert superseded.json()["errors"][0]["message"] == "The access token has been disabled."
        assert (await refresh(http, client, old["refresh_token"])).json()["error"] == (
            "invalid_grant"
        )
    # Another client of the same user keeps its own live token.
    other_client = await people.client(person.tenant_id, name="Other app")
    other = await issued_token(http, other_client, person)
    assert (await me(http, other["access_token"])).status_code == 200
    assert (await me(http, new["access_token"])).status_code == 200


async def test_a_token_disabled_by_its_user_stops_working_and_cannot_be_refreshed(
    http: httpx.AsyncClient, people: People
) -> None:
    person, client = await setup(people)
    start = datetime.now(UTC).replace(microsecond=0)
    with at(start):
        token = await issued_token(http, client, person)  # leaves the browser signed in
        page = await http.get("/settings/connected-applications")
        assert "Test app" in page.text
        token_key = token["id"].split(":")[1]
        match = CSRF.search(page.text)
        assert match is not None
        disabled = await http.post(
            f"/settings/connected-applications/{token_key}/disable",
            data={"csrf_token": match.group(1)},
        )
        assert disabled.status_code == 303

    with at(start + timedelta(days=1)):
        assert (await me(http, token["access_token"])).status_code == 401
        assert (await refresh(http, client, token["refresh_token"])).json()["error"] == (
            "invalid_grant"
        )
        listing = await http.get("/settings/connected-applications")
    assert "Test app" not in listing.text


async def test_concurrent_exchanges_leave_exactly_one_live_token(
    http: httpx.AsyncClient, people: People
) -> None:
    person, client = await setup(people)
    codes = [(await form_dance(http, client, person))["code"] for _ in range(4)]
    responses: list[httpx.Response] = []

    async def redeem(code: str) -> None:
        responses.append(await exchange(http, client, code))

    async with anyio.create_task_group() as group:
        for code in codes:
            group.start_soon(redeem, code)

    assert [r.status_code for r in responses] == [200] * 4
    alive = [(await me(http, r.json()["access_token"])).status_code for r in responses]
    assert sorted(alive) == [200, 401, 401, 401]
