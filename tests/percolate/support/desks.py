"""The app the Percolate API tests call (``api``), accounts with a license, custom and native
channels, and helpers that make schemas and posts over HTTP."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from tests.percolate.support.accounts import Account, Caller
from tests.percolate.support.oauth import fresh_address

from tenantry import percolate
from tenantry.app import create_app
from tenantry.core.tenancy import tenant_session
from tenantry.percolate.channel.models import Channel
from tenantry.percolate.platform.models import Platform as ChannelPlatform
from tenantry.settings import Settings
from tenantry.web.face import WebFace


@pytest.fixture(scope="session")
async def content_app(settings: Settings, migrated: None) -> AsyncIterator[FastAPI]:
    # The tests' receivers listen on loopback: the operator allowed private destinations.
    private = settings.model_copy(update={"allow_private_webhooks": True})
    application = create_app(private, faces=[WebFace(), percolate.face])
    async with LifespanManager(application):
        yield application


@pytest.fixture
async def api(content_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(
        app=content_app, raise_app_exceptions=False, client=fresh_address()
    )
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@dataclass
class Desk:
    """An account with a license, a custom and a native channel in it, and its admin."""

    account: Account
    admin: Caller
    license: str
    custom_channel: str
    native_channel: str
    custom_platform: str
    native_platform: str


async def add_channel(owner: Account, scope: str, platform_type: str) -> tuple[str, str]:
    """A platform of ``platform_type`` and a channel on it in ``scope`` (wire ids)."""
    scope_id = int(scope.split(":")[1])
    channel_type = "custom" if platform_type == "custom" else platform_type.split(":")[1]
    async with tenant_session(owner.sessions, owner.tenant_id) as session:
        platform = ChannelPlatform(name=f"{platform_type} platform", type=platform_type)
        session.add(platform)
        await session.flush()
        channel = Channel(
            name=f"{channel_type} channel",
            type=channel_type,
            scope_id=scope_id,
            platform_id=platform.id,
        )
        session.add(channel)
        await session.flush()
        return f"channel:{channel.id}", f"platform:{platform.id}"


def desk_maker(make_account: Any) -> Any:
    """What :func:`make_desk` gives, for fixtures of a wider scope."""

    async def make() -> Desk:
        made: Account = await make_account()
        license = await made.scope("license")
        custom, custom_platform = await add_channel(made, license, "custom")
        native, native_platform = await add_channel(made, license, "native:twitter")
        boss = await made.user(("admin", None), name="Desk Admin")
        return Desk(made, boss, license, custom, native, custom_platform, native_platform)

    return make


@pytest.fixture
def make_desk(make_account: Any) -> Any:
    return desk_maker(make_account)


@pytest.fixture
async def desk(make_desk: Any) -> Desk:
    made: Desk = await make_desk()
    return made


MESSAGE_SCHEMA: dict[str, Any] = {
    "name": "Message",
    "type": "post",
    "fields": [
        {"key": "message", "type": "textarea", "required": True, "ext": {"max_length": 280}},
        {"key": "email", "type": "email"},
        {
            "key": "tone",
            "type": "select",
            "ext": {
                "values": [{"value": "calm", "label": "Calm"}, {"value": "loud", "label": "Loud"}]
            },
        },
        {"key": "tags", "type": "term"},
    ],
}


async def make_schema(api: httpx.AsyncClient, caller: Caller, **overrides: Any) -> dict[str, Any]:
    body = {**MESSAGE_SCHEMA, "slug": f"message-{uuid.uuid4().hex[:8]}", **overrides}
    response = await api.post("/api/v5/schema/", json=body, headers=caller.headers)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def make_post(
    api: httpx.AsyncClient,
    desk: Desk,
    schema_id: str,
    caller: Caller | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    body = {
        "scope_id": desk.license,
        "channel_id": desk.custom_channel,
        "schema_id": schema_id,
        "name": "Launch",
        "ext": {"message": "Hello world"},
        **overrides,
    }
    response = await api.post("/api/v5/post/", json=body, headers=(caller or desk.admin).headers)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data
