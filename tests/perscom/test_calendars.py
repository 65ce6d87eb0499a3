"""Calendars and events (§3.4): every event column, ends after starts, repeating events
with a schedule (rule, pieces and next occurrences, bounded), the ``datePeriod`` scope and
registrations of users shown on the event."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from tests.perscom.conftest import Org
from tests.perscom.factories import create

pytestmark = pytest.mark.anyio


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


async def _event(api: httpx.AsyncClient, **fields: Any) -> httpx.Response:
    calendar_id = fields.pop("calendar_id", None) or (await create(api, "calendars"))["id"]
    body = {
        "name": "Weekly drill",
        "calendar_id": calendar_id,
        "starts": "2025-01-06T19:00:00Z",
        "ends": "2025-01-06T21:00:00Z",
        "all_day": False,
        **fields,
    }
    return await api.post("/v1/events", json=body)


async def test_calendar_with_events_and_authors(api: httpx.AsyncClient, org: Org) -> None:
    made = await api.post(
        "/v1/calendars", json={"name": "Operations", "color": "#112233", "description": "Ops"}
    )
    assert made.status_code == 201, made.text
    calendar = made.json()["data"]
    assert {k: calendar[k] for k in ("name", "color", "description")} == {
        "name": "Operations",
        "color": "#112233",
        "description": "Ops",
    }
    assert calendar["label"] == f"Calendar: {calendar['id']}"
    event = await _event(api, calendar_id=calendar["id"])
    assert event.status_code == 201, event.text
    shown = await api.get(f"/v1/calendars/{calendar['id']}?include=events,events.author")
    assert shown.status_code == 200, shown.text
    [included] = shown.json()["data"]["events"]
    assert included["author"]["id"] == org.user_id
    refused = await api.post("/v1/calendars", json={"name": "No colour", "color": "blue"})
    assert refused.status_code == 422
    assert "color" in refused.json()["error"]["errors"]


async def test_event_columns_round_trip(api: httpx.AsyncClient, org: Org) -> None:
    made = await _event(
        api,
        description="Bring kit",
        content="<p>Muster at <b>1900</b></p>",
        location="Range 4",
        url="https://example.com/drill",
        all_day=True,
        registration_enabled=False,
        registration_deadline="2025-01-05T12:00:00Z",
        notifications_enabled=True,
        notifications_interval=["PT15M", "P1D"],
        notifications_channels=["mail", "database"],
    )
    assert made.status_code == 201, made.text
    event = made.json()["data"]
    assert event["author_id"] == org.user_id
    assert event["starts"] == "2025-01-06T19:00:00.000000Z"
    assert event["ends"] == "2025-01-06T21:00:00.000000Z"
    assert event["all_day"] is True
    assert event["repeats"] is False
    assert event["rrule"] is None
    assert event["registration_enabled"] is False
    assert event["registration_deadline"] == "2025-01-05T12:00:00.000000Z"
    assert event["notifications_interval"] == ["PT15M", "P1D"]
    assert event["notifications_channels"] == ["mail", "database"]
    assert event["content"] == "<p>Muster at <b>1900</b></p>"
    shown = await api.get(f"/v1/events/{event['id']}?include=calendar,author,schedule")
    assert shown.json()["data"]["calendar"]["id"] == event["calendar_id"]
    assert shown.json()["data"]["schedule"] is None
    moved = await api.put(f"/v1/events/{event['id']}", json={"location": "Range 5"})
    assert moved.status_code == 200 and moved.json()["data"]["location"] == "Range 5"


async def test_ends_must_follow_starts(api: httpx.AsyncClient) -> None:
    before = await _event(api, ends="2025-01-06T18:00:00Z")
    assert before.status_code == 422, before.text
    assert before.json()["error"]["type"] == "ValidationException"
    assert "ends" in before.json()["error"]["errors"]
    same = await _event(api, ends="2025-01-06T19:00:00Z")
    assert same.status_code == 422
    event = (await _event(api)).json()["data"]
    moved = await api.patch(f"/v1/events/{event['id']}", json={"starts": "2025-01-07T00:00:00Z"})
    assert moved.status_code == 422, moved.text
    unchanged = await api.get(f"/v1/events/{event['id']}")
    assert unchanged.json()["data"]["starts"] == event["starts"]
    listed = await api.get("/v1/events")
    assert listed.json()["meta"]["total"] == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("notifications_interval", ["PT2H"]),
        ("notifications_channels", ["carrier-pigeon"]),
        ("notifications_channels", "mail"),
        ("starts", "not a date"),
    ],
)
async def test_bad_event_values(api: httpx.AsyncClient, field: str, value: Any) -> None:
    refused = await _event(api, **{field: value})
    assert refused.status_code == 422, refused.text
    assert field in refused.json()["error"]["errors"]
    assert (await api.get("/v1/events")).json()["meta"]["total"] == 0


async def test_repeating_event_schedule(api: httpx.AsyncClient) -> None:
    start = datetime.now(UTC).replace(microsecond=0, second=0) - timedelta(days=30)
    made = await _event(
        api,
        starts=_iso(start),
        ends=_iso(start + timedelta(hours=2)),
        repeats=True,
        rrule="FREQ=WEEKLY;INTERVAL=1",
    )
    assert made.status_code == 201, made.text
    event_id = made.json()["data"]["id"]
    shown = await api.get(f"/v1/events/{event_id}?include=schedule")
    schedule = shown.json()["data"]["schedule"]
    assert schedule["rrule"] == "FREQ=WEEKLY;INTERVAL=1"
    assert schedule["frequency"] == "WEEKLY"
    assert schedule["interval"] == 1
    assert schedule["count"] is None
    assert schedule["until"] is None
    assert schedule["duration"] == 7200
    assert schedule["model_type"] == "App\\Models\\Event"
    upcoming = schedule["occurrences"]
    assert len(upcoming) == 10  # a rule without an end: capped, not expanded forever
    assert schedule["next_occurrence"] == upcoming[0]
    first = datetime.fromisoformat(upcoming[0].replace("Z", "+00:00"))
    assert datetime.now(UTC) - timedelta(minutes=1) <= first <= datetime.now(UTC) + timedelta(7)
    gaps = {
        datetime.fromisoformat(b[:-1]) - datetime.fromisoformat(a[:-1])
        for a, b in itertools.pairwise(upcoming)
    }
    assert gaps == {timedelta(days=7)}
    stopped = await api.patch(f"/v1/events/{event_id}", json={"repeats": False})
    assert stopped.status_code == 200, stopped.text
    again = await api.get(f"/v1/events/{event_id}?include=schedule")
    assert again.json()["data"]["schedule"] is None


async def test_rule_with_an_end_and_a_rule_that_never_occurs(api: httpx.AsyncClient) -> None:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    counted = await _event(
        api,
        starts=_iso(start),
        ends=_iso(start + timedelta(hours=1)),
        repeats=True,
        rrule="RRULE:FREQ=DAILY;COUNT=3",
    )
    assert counted.status_code == 201, counted.text
    shown = await api.get(f"/v1/events/{counted.json()['data']['id']}?include=schedule")
    assert shown.json()["data"]["schedule"]["count"] == 3
    assert len(shown.json()["data"]["schedule"]["occurrences"]) == 3
    never = await _event(
        api,
        starts=_iso(start),
        ends=_iso(start + timedelta(hours=1)),
        repeats=True,
        rrule="FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=31",
    )
    assert never.status_code == 201, never.text
    shown = await api.get(f"/v1/events/{never.json()['data']['id']}?include=schedule")
    assert shown.json()["data"]["schedule"]["occurrences"] == []
    assert shown.json()["data"]["schedule"]["next_occurrence"] is None


@pytest.mark.parametrize(
    "rule",
    [
        None,
        "FREQ=SECONDLY",
        "FREQ=HOURLY;INTERVAL=1",
        "FREQ=WEEKLY;COUNT=100000",
        "not a rule",
        "DTSTART:20250101T000000Z\nRRULE:FREQ=DAILY",
        "FREQ=DAILY;UNTIL=garbage",
    ],
)
async def test_unusable_rules_are_refused(api: httpx.AsyncClient, rule: str | None) -> None:
    refused = await _event(api, repeats=True, rrule=rule)
    assert refused.status_code == 422, refused.text
    assert "rrule" in refused.json()["error"]["errors"]
    assert (await api.get("/v1/events")).json()["meta"]["total"] == 0


async def test_date_period_scope(api: httpx.AsyncClient) -> None:
    calendar_id = (await create(api, "calendars"))["id"]
    january = await _event(api, calendar_id=calendar_id, name="January")
    march = await _event(
        api,
        calendar_id=calendar_id,
        name="March",
        starts="2025-03-01T10:00:00Z",
        ends="2025-03-01T11:00:00Z",
    )
    weekly = await _event(
        api,
        calendar_id=calendar_id,
        name="Weekly until Feb",
        starts="2024-12-02T10:00:00Z",
        ends="2024-12-02T11:00:00Z",
        repeats=True,
        rrule="FREQ=WEEKLY;UNTIL=20250215T000000Z",
    )
    for made in (january, march, weekly):
        assert made.status_code == 201, made.text

    async def names(start: str, end: str) -> list[str]:
        body = {"scopes": [{"name": "datePeriod", "parameters": [start, end]}]}
        found = await api.post("/v1/events/search", json=body)
        assert found.status_code == 200, found.text
        return sorted(e["name"] for e in found.json()["data"])

    assert await names("2025-01-01", "2025-01-31") == ["January", "Weekly until Feb"]
    assert await names("2025-02-20", "2025-03-31") == ["March"]
    assert await names("2026-01-01", "2026-12-31") == []
    bad = await api.post(
        "/v1/events/search",
        json={"scopes": [{"name": "datePeriod", "parameters": ["soon", "later"]}]},
    )
    assert bad.status_code == 422, bad.text
    short = await api.post(
        "/v1/events/search", json={"scopes": [{"name": "datePeriod", "parameters": ["2025"]}]}
    )
    assert short.status_code == 422, short.text


async def test_registrations_show_on_the_event(api: httpx.AsyncClient, org: Org) -> None:
    event = (await _event(api)).json()["data"]
    other = (await create(api, "users"))["id"]
    attached = await api.post(
        f"/v1/events/{event['id']}/registrations/attach", json={"resources": [org.user_id, other]}
    )
    assert attached.status_code == 200, attached.text
    shown = await api.get(f"/v1/events/{event['id']}?include=registrations")
    registered = shown.json()["data"]["registrations"]
    assert sorted(u["id"] for u in registered) == sorted([org.user_id, other])
    assert registered[0]["pivot"]["event_id"] == event["id"]
    listed = await api.get(f"/v1/events/{event['id']}/registrations")
    assert listed.json()["meta"]["total"] == 2
    detached = await api.request(
        "DELETE",
        f"/v1/events/{event['id']}/registrations/detach",
        json={"resources": [other]},
    )
    assert detached.status_code == 200, detached.text
    assert detached.json() == {"detached": [other]}
    removed = await api.delete(f"/v1/events/{event['id']}")
    assert removed.status_code == 200


async def test_events_are_isolated(
    api: httpx.AsyncClient, api_b: httpx.AsyncClient, other_org: Org
) -> None:
    mine = (
        await _event(api, repeats=True, rrule="FREQ=DAILY", starts="2025-01-06T19:00:00Z")
    ).json()["data"]
    theirs_calendar = (await create(api_b, "calendars"))["id"]
    refused = await _event(api, calendar_id=theirs_calendar)
    assert refused.status_code == 422, refused.text
    assert (await api_b.get(f"/v1/events/{mine['id']}")).status_code == 404
    assert (await api_b.get("/v1/events")).json()["meta"]["total"] == 0
    found = await api_b.post(
        "/v1/events/search",
        json={"scopes": [{"name": "datePeriod", "parameters": ["2025-01-01", "2030-01-01"]}]},
    )
    assert found.json()["data"] == []
    attach = await api_b.post(
        f"/v1/events/{mine['id']}/registrations/attach",
        json={"resources": [other_org.user_id]},
    )
    assert attach.status_code == 404
