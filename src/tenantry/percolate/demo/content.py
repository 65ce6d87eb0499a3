"""The demo account's content: a post schema and a metadata schema, a few dozen posts across
every status on a custom channel, comments, and a publish URL and a webhook pointing at a
local receiver (``http://127.0.0.1:8765``, which ``tenantry demo receiver`` runs). Runs
after :mod:`tenantry.percolate.demo.organisation`, which makes the scopes, the custom
platform and its channels.

Both are signed with :func:`demo_secret`, derived from the installation's secret key, so the
receiver, started with the same settings (data dir or ``TENANTRY_SECRET_KEY``), verifies
them without the secret being stored or copied anywhere.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tenantry.core.resources.scoped import same_tenant
from tenantry.core.tenancy import tenant_session
from tenantry.percolate.channel.models import Channel
from tenantry.percolate.comment.models import Comment
from tenantry.percolate.metadata import index as metadata_index
from tenantry.percolate.metadata.models import Metadata
from tenantry.percolate.platform.models import Platform
from tenantry.percolate.post.lifecycle import PostStatus
from tenantry.percolate.post.models import ChannelPublisher, Post
from tenantry.percolate.schema.definition import parse_definition
from tenantry.percolate.schema.models import Schema, SchemaVersion
from tenantry.percolate.webhook.declaration import STATUS_CHANGED
from tenantry.percolate.webhook.models import PostWebhook, Webhook
from tenantry.settings import Settings

__all__ = ["RECEIVER", "RECEIVER_PORT", "demo_secret", "seed_demo"]

RECEIVER_PORT = 8765
RECEIVER = f"http://127.0.0.1:{RECEIVER_PORT}"
POSTS_PER_STATUS = 3
TOPICS = ("Spring shoes", "Holiday bags", "Store opening", "Behind the seams")
POST_FIELDS: list[dict[str, Any]] = [
    {"key": "message", "type": "textarea", "required": True, "ext": {"max_length": 2000}},
    {"key": "link", "type": "text"},
    {"key": "photo", "type": "asset"},
    {
        "key": "tone",
        "type": "select",
        "ext": {"values": [{"value": "calm", "label": "Calm"}, {"value": "bold", "label": "Bold"}]},
    },
]
META_FIELDS: list[dict[str, Any]] = [
    {"key": "budget", "type": "number"},
    {"key": "owner", "type": "email"},
]


def demo_secret(settings: Settings) -> str:
    """The signing secret of the demo's publish URL and webhook: an HMAC of a fixed label
    under the installation's secret key (the key itself never leaves the server)."""
    key = settings.effective_secret_key.encode()
    return hmac.new(key, b"tenantry percolate demo receiver", hashlib.sha256).hexdigest()


async def _schema(
    session: AsyncSession, name: str, slug: str, kind: str, fields: list[dict[str, Any]],
    types: list[str], channel_type: str | None = None,
) -> Schema:  # fmt: skip
    schema = Schema(
        name=name,
        slug=slug,
        type=kind,
        limit_resource_types=types,
        ext={"channel_type": channel_type} if channel_type else {},
        channel_type=channel_type,
    )
    session.add(schema)
    await session.flush()
    definition = parse_definition({"fields": fields}).as_json()
    session.add(SchemaVersion(schema_id=schema.id, version=1, name=name, definition=definition))
    await session.flush()
    return schema


async def seed_demo(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    tenant_id: int,
    admin_user_id: int,
) -> list[str]:
    """Fill the demo account's content; lines use ``{base}`` for the origin."""
    async with tenant_session(sessions, tenant_id) as session:
        channel = await session.scalar(
            select(Channel)
            .join(Platform, (same_tenant(Platform, Channel))
                  & (Platform.id == Channel.platform_id))
            .where(Platform.type == "custom", Channel.type == "custom")
            .order_by(Channel.id)
        )  # fmt: skip
        if channel is None:
            return []
        post_schema = await _schema(
            session, "Social post", "social-post", "post", POST_FIELDS, ["post"], "custom"
        )
        meta_schema = await _schema(
            session, "Campaign facts", "campaign-facts", "metadata", META_FIELDS, ["post"]
        )
        secret = demo_secret(settings)
        session.add(
            ChannelPublisher(channel_id=channel.id, url=f"{RECEIVER}/publish", secret=secret)
        )
        webhook = Webhook(
            scope_id=channel.scope_id, url=f"{RECEIVER}/webhook", secret=secret,
            events=[STATUS_CHANGED],
        )  # fmt: skip
        session.add(webhook)
        await session.flush()
        now = datetime.now(UTC)
        posts: list[Post] = []
        for index, status in enumerate(
            status for status in PostStatus for _ in range(POSTS_PER_STATUS)
        ):
            topic = TOPICS[index % len(TOPICS)]
            message = f"{topic}: post {index + 1} of the demo, now {status}."
            scheduled = status in {PostStatus.QUEUED, PostStatus.QUEUED_PAUSED}
            published = status in {PostStatus.LIVE, PostStatus.UNPUBLISHED}
            post = Post(
                scope_id=channel.scope_id,
                user_id=admin_user_id,
                name=f"{topic} #{index + 1}",
                description="",
                status=str(status),
                live_at=now + timedelta(days=30 + index)
                if scheduled
                else now - timedelta(days=index)
                if published
                else None,
                url=f"https://example.org/posts/{index + 1}" if published else None,
                platform_id=channel.platform_id,
                channel_id=channel.id,
                schema_id=post_schema.id,
                schema_version=1,
                ext={"message": message, "tone": "bold" if index % 2 else "calm"},
                publish_error="The publish URL answered HTTP 500."
                if status is PostStatus.QUEUED_ERROR
                else None,
                search_text=f"{topic} #{index + 1} {message}".lower(),
            )
            session.add(post)
            posts.append(post)
        await session.flush()
        records: list[Metadata] = []
        for post in posts[:6]:
            note = Comment(
                object_kind="post", object_key=post.id, scope_id=post.scope_id,
                user_id=admin_user_id, body="Can we add a photo?", mentions=[],
            )  # fmt: skip
            session.add(note)
            await session.flush()
            session.add(
                Comment(
                    object_kind="post", object_key=post.id, scope_id=post.scope_id,
                    user_id=admin_user_id, body="Done.", mentions=[],
                    parent_comment_id=note.id,
                )
            )  # fmt: skip
            record = Metadata(
                object_kind="post", object_key=post.id, scope_id=post.scope_id,
                schema_id=meta_schema.id, schema_version=1,
                ext={"budget": 500, "owner": "admin@demo.example.org"},
            )  # fmt: skip
            session.add(record)
            records.append(record)
        for post in posts[:3]:
            session.add(PostWebhook(post_id=post.id, webhook_id=webhook.id, scope_id=post.scope_id))
        await session.flush()
        # The metadata filters read the flattened values, as for records made over the API.
        meta_definition = parse_definition({"fields": META_FIELDS})
        for record in records:
            await metadata_index.reindex(session, record, meta_definition)
    return [
        f"Percolate content: {len(posts)} posts in every status on channel:{channel.id};"
        f" its publish URL and webhook:{webhook.id} point at {RECEIVER}: watch the signed"
        " deliveries with `tenantry demo receiver` (serve with"
        " TENANTRY_ALLOW_PRIVATE_WEBHOOKS=1 so they may reach 127.0.0.1).",
        f'  curl -H "Authorization: Bearer $TOKEN" \'{{base}}/api/v5/post/?statuses=queued.*'
        f"&channel_ids=channel:{channel.id}&include=schema_id'",
    ]
