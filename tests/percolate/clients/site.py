"""An account set up as the vendor's clients find it: a license with a custom platform and
channel, a taxonomy, post and metadata schemas on the account, a draft post with metadata,
and the admin's legacy API key (the WordPress plugin's credential)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from tests.percolate.support.desks import Desk

from tenantry.core.tenancy import tenant_session
from tenantry.percolate.oauth.apikeys import create_api_key


@dataclass
class Site:
    desk: Desk
    key: str
    root: str
    child: str
    post_schema: str
    metadata_schema: str
    post: str

    @property
    def license(self) -> str:
        return self.desk.license

    @property
    def number(self) -> str:
        return self.desk.license.split(":")[1]

    @property
    def platform(self) -> str:
        return self.desk.custom_platform

    @property
    def channel(self) -> str:
        return self.desk.custom_channel


async def _made(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


@pytest.fixture
async def site(api: httpx.AsyncClient, desk: Desk) -> Site:
    h = desk.admin.headers
    root = await _made(
        await api.post(
            "/api/v5/term/", json={"name": "Topics", "scope_id": desk.license}, headers=h
        )
    )
    child = await _made(
        await api.post(
            "/api/v5/term/",
            json={"name": "Cheese", "scope_id": desk.license, "parent_id": root["id"]},
            headers=h,
        )
    )
    term_field = {"type": "term", "ext": {"parent_term_ids": [root["id"]]}}
    post_schema = await _made(
        await api.post(
            "/api/v5/schema/",
            json={
                "name": "Article",
                "type": "post",
                "slug": "article",
                "scope_id": desk.account.wire,
                "ext": {"platform_id": desk.custom_platform},
                "fields": [
                    {"key": "title", "label": "Title", "type": "text", "required": True},
                    {"key": "body", "label": "Body", "type": "html"},
                    {"key": "topics", "label": "Topics", **term_field},
                    {"key": "image", "label": "Image", "type": "asset"},
                    {
                        "key": "language",
                        "label": "Language",
                        "type": "select",
                        "ext": {"values": [{"value": "en", "label": "English"}]},
                    },
                ],
            },
            headers=h,
        )
    )
    metadata_schema = await _made(
        await api.post(
            "/api/v5/schema/",
            json={
                "name": "Editorial",
                "type": "metadata",
                "slug": "editorial",
                "scope_id": desk.account.wire,
                "limit_resource_types": ["post"],
                "fields": [{"key": "section", "label": "Section", **term_field}],
            },
            headers=h,
        )
    )
    post = await _made(
        await api.post(
            "/api/v5/post/",
            json={
                "scope_id": desk.license,
                "channel_id": desk.custom_channel,
                "schema_id": post_schema["id"],
                "name": "Cheese of the week",
                "description": "Brie",
                "term_ids": [child["id"]],
                "ext": {
                    "title": "Brie",
                    "body": "<p>Soft/ripe <img src='https://img.example.org/a.png'></p>",
                    "topics": [child["id"]],
                },
            },
            headers=h,
        )
    )
    await _made(
        await api.post(
            "/api/v5/metadata/",
            json={
                "object_id": post["id"],
                "schema_id": metadata_schema["id"],
                "ext": {"section": [child["id"]]},
            },
            headers=h,
        )
    )
    async with tenant_session(desk.account.sessions, desk.account.tenant_id) as session:
        _row, key = await create_api_key(session, desk.admin.user_id, "WordPress")
    return Site(
        desk, key, root["id"], child["id"], post_schema["id"], metadata_schema["id"], post["id"]
    )
