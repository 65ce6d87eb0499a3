"""Announcements (§3.4): only enabled ones listed by default, the ``enabled``/``disabled``
scopes, the default colour, and bad input refused. Messages: sent by the real job worker
(mail through the core mailer, other channels recorded), once, at ``send_at``."""

from __future__ import annotations

import asyncio
import email
import uuid
from collections.abc import Awaitable, Callable

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.perscom.conftest import Org
from tests.perscom.factories import create

from tenantry.core.jobs import Worker, job_handlers
from tenantry.core.tenancy import tenant_session
from tenantry.perscom.resources.communications import MessageDelivery
from tenantry.settings import Settings

pytestmark = pytest.mark.anyio


async def test_announcements_listing_scopes_and_colour(api: httpx.AsyncClient) -> None:
    shown = await api.post(
        "/v1/announcements",
        json={
            "title": "Drill moved",
            "content": "<p>Now <b>Thursday</b></p><script>alert(1)</script>",
            "global": True,
            "expires_at": "2030-01-01T00:00:00Z",
        },
    )
    assert shown.status_code == 201, shown.text
    announcement = shown.json()["data"]
    assert announcement["color"] == "#2563eb"
    assert announcement["global"] is True
    assert announcement["enabled"] is True
    assert announcement["expires_at"] == "2030-01-01T00:00:00.000000Z"
    assert announcement["content"].endswith("<script>alert(1)</script>")  # stored as given
    hidden = await api.post(
        "/v1/announcements",
        json={"title": "Draft", "content": "Later", "enabled": False, "color": "#abc"},
    )
    assert hidden.status_code == 201, hidden.text
    assert hidden.json()["data"]["color"] == "#abc"
    listed = await api.get("/v1/announcements")
    assert [a["title"] for a in listed.json()["data"]] == ["Drill moved"]

    async def titles(scope: str) -> list[str]:
        found = await api.post("/v1/announcements/search", json={"scopes": [{"name": scope}]})
        assert found.status_code == 200, found.text
        return [a["title"] for a in found.json()["data"]]

    assert await titles("disabled") == ["Draft"]
    assert await titles("enabled") == ["Drill moved"]
    draft_id = hidden.json()["data"]["id"]
    assert (await api.get(f"/v1/announcements/{draft_id}")).json()["data"]["enabled"] is False
    enabled = await api.post(
        "/v1/announcements/search",
        json={"scopes": [{"name": "disabled"}], "filters": [{"field": "color", "value": "#abc"}]},
    )
    assert [a["id"] for a in enabled.json()["data"]] == [draft_id]


@pytest.mark.parametrize(
    "body",
    [
        {"content": "No title"},
        {"title": "No content"},
        {"title": "Bad colour", "content": "x", "color": "blue"},
        {"title": "Bad date", "content": "x", "expires_at": "someday"},
        {"title": "x" * 256, "content": "Too long"},
    ],
)
async def test_bad_announcements(api: httpx.AsyncClient, body: dict[str, object]) -> None:
    refused = await api.post("/v1/announcements", json=body)
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["type"] == "ValidationException"
    found = await api.post("/v1/announcements/search", json={"scopes": [{"name": "disabled"}]})
    assert (await api.get("/v1/announcements")).json()["meta"]["total"] == 0
    assert found.json()["meta"]["total"] == 0


async def test_announcements_are_isolated(api: httpx.AsyncClient, api_b: httpx.AsyncClient) -> None:
    mine = await api.post("/v1/announcements", json={"title": "Ours", "content": "x"})
    theirs = mine.json()["data"]["id"]
    assert (await api_b.get(f"/v1/announcements/{theirs}")).status_code == 404
    assert (await api_b.get("/v1/announcements")).json()["data"] == []
    changed = await api_b.put(f"/v1/announcements/{theirs}", json={"title": "Theirs"})
    assert changed.status_code == 404
    assert (await api.get(f"/v1/announcements/{theirs}")).json()["data"]["title"] == "Ours"


# -- messages ------------------------------------------------------------------------------


async def _run_jobs(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    done: Callable[[], Awaitable[bool]],
) -> None:
    """Run the real worker until ``done()`` holds (at most 20 s)."""
    stop = asyncio.Event()
    worker = Worker(settings, sessions, job_handlers, worker_id="messages", poll_interval=0.02)
    task = asyncio.create_task(worker.run(stop))
    try:
        for _ in range(400):
            if await done():
                return
            await asyncio.sleep(0.05)
        pytest.fail("the worker did not finish the message")
    finally:
        stop.set()
        await task


async def _deliveries(
    sessions: async_sessionmaker[AsyncSession], tenant_id: int, message_id: int
) -> list[tuple[int, str]]:
    async with tenant_session(sessions, tenant_id) as session:
        rows = await session.execute(
            select(MessageDelivery.user_id, MessageDelivery.channel)
            .where(MessageDelivery.message_id == message_id)
            .order_by(MessageDelivery.channel, MessageDelivery.user_id)
        )
        return [(int(u), str(c)) for u, c in rows.all()]


async def test_message_is_sent_by_a_job(
    api: httpx.AsyncClient,
    org: Org,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    text = f"Muster at 1900 {uuid.uuid4().hex[:6]}"
    person = await create(api, "users")
    made = await api.post(
        "/v1/messages",
        json={"message": text, "channels": ["mail", "database"], "recipients": [person["id"]]},
    )
    assert made.status_code == 201, made.text
    message = made.json()["data"]
    assert message["channels"] == ["mail", "database"]
    assert message["recipients"] == [person["id"]]
    assert message["sent_at"] is None

    async def mailed() -> bool:
        folder = settings.data_dir.resolve() / "mail"
        return folder.exists() and any(
            text in p.read_text(errors="replace") for p in folder.glob("*.eml")
        )

    await _run_jobs(settings, sessions, mailed)
    mail = next(
        p
        for p in (settings.data_dir.resolve() / "mail").glob("*.eml")
        if text in p.read_text(errors="replace")
    )
    assert person["email"] in email.message_from_bytes(mail.read_bytes())["To"]
    sent = (await api.get(f"/v1/messages/{message['id']}")).json()["data"]
    assert sent["sent_at"] is not None
    assert await _deliveries(sessions, org.tenant_id, message["id"]) == [
        (person["id"], "database"),
        (person["id"], "mail"),
    ]


async def test_message_without_recipients_goes_to_everyone_once(
    api: httpx.AsyncClient,
    org: Org,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    other = await create(api, "users")
    made = await api.post("/v1/messages", json={"message": "All hands", "channels": "sms"})
    assert made.status_code == 201, made.text
    message_id = made.json()["data"]["id"]
    assert made.json()["data"]["channels"] == ["sms"]
    later = await api.post(
        "/v1/messages",
        json={"message": "Later", "channels": ["database"], "send_at": "2099-01-01T00:00:00Z"},
    )
    assert later.status_code == 201, later.text

    async def delivered() -> bool:
        return bool(await _deliveries(sessions, org.tenant_id, message_id))

    await _run_jobs(settings, sessions, delivered)
    got = await _deliveries(sessions, org.tenant_id, message_id)
    assert sorted(got) == sorted([(org.user_id, "sms"), (other["id"], "sms")])
    assert await _deliveries(sessions, org.tenant_id, later.json()["data"]["id"]) == []
    assert (await api.get(f"/v1/messages/{later.json()['data']['id']}")).json()["data"][
        "sent_at"
    ] is None


@pytest.mark.parametrize(
    "body",
    [
        {"channels": ["mail"]},
        {"message": "x" * 256, "channels": ["mail"]},
        {"message": "Hi"},
        {"message": "Hi", "channels": []},
        {"message": "Hi", "channels": ["pigeon"]},
        {"message": "Hi", "channels": ["mail"], "recipients": [999999999]},
        {"message": "Hi", "channels": ["mail"], "recipients": "everyone"},
        {"message": "Hi", "channels": ["mail"], "send_at": "tomorrow"},
    ],
)
async def test_bad_messages(api: httpx.AsyncClient, body: dict[str, object]) -> None:
    refused = await api.post("/v1/messages", json=body)
    assert refused.status_code == 422, refused.text
    assert (await api.get("/v1/messages")).json()["meta"]["total"] == 0


async def test_messages_are_isolated(
    api: httpx.AsyncClient, api_b: httpx.AsyncClient, other_org: Org
) -> None:
    foreign = await api.post(
        "/v1/messages",
        json={"message": "Hi", "channels": ["mail"], "recipients": [other_org.user_id]},
    )
    assert foreign.status_code == 422, foreign.text
    mine = await api.post("/v1/messages", json={"message": "Ours", "channels": ["database"]})
    assert (await api_b.get(f"/v1/messages/{mine.json()['data']['id']}")).status_code == 404
    assert (await api_b.get("/v1/messages")).json()["data"] == []
