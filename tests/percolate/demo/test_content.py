"""The content demo seeder: after the v5 seeder, posts in every status that the API serves."""

from __future__ import annotations

from collections import Counter

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.percolate.support.accounts import Account

from tenantry.percolate.demo import content as content_demo
from tenantry.percolate.demo.organisation import seed_demo
from tenantry.percolate.post.lifecycle import PostStatus
from tenantry.settings import Settings

pytestmark = pytest.mark.anyio


async def test_the_demo_has_posts_in_every_status_readable_through_the_api(
    api: httpx.AsyncClient,
    account: Account,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    boss = await account.user(("admin", None), name="Demo Admin")
    await seed_demo(settings, sessions, account.tenant_id, boss.user_id)
    lines = await content_demo.seed_demo(settings, sessions, account.tenant_id, boss.user_id)
    assert lines and content_demo.RECEIVER in lines[0]
    response = await api.get("/api/v5/post/", params={"limit": 200}, headers=boss.headers)
    assert response.status_code == 200, response.text
    statuses = Counter(post["status"] for post in response.json()["data"])
    assert statuses == {str(s): content_demo.POSTS_PER_STATUS for s in PostStatus}
    first = response.json()["data"][-1]
    comments = await api.get(
        "/api/v5/comment/", params={"object_ids": first["id"]}, headers=boss.headers
    )
    assert comments.json()["meta"]["total"] == 2
    hooks = await api.get(
        "/api/v5/postwebhook/", params={"post_id": first["id"]}, headers=boss.headers
    )
    assert hooks.json()["meta"]["total"] == 1
    # The seeded metadata is indexed like metadata written over the API: the filters see it.
    schemas = await api.get(
        "/api/v5/schema/", params={"type": "metadata", "limit": 10}, headers=boss.headers
    )
    assert schemas.status_code == 200, schemas.text
    meta_schema = schemas.json()["data"][0]["id"].rsplit("_", 1)[0]
    filtered = await api.get(
        "/api/v5/post/",
        params={f"metadata.{meta_schema}.owner": "admin@demo.example.org", "limit": 200},
        headers=boss.headers,
    )
    assert filtered.status_code == 200, filtered.text
    assert filtered.json()["meta"]["total"] == 6
