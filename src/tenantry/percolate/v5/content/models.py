"""Tables of Percolate content: schemas and their immutable versions, posts.

A schema row carries the current version's header (what lists filter on); every version's
definition lives in ``percolate_schema_versions`` and is never changed, so an object written
against ``schema:<id>_<version>`` stays readable after the schema is edited.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from tenantry.core.base import Base, TenantOwned, TenantScoped, Timestamped, UTCDateTime, tenant_fk

__all__ = [
    "ApprovalFeedback",
    "ApprovalWorkflow",
    "ChannelPublisher",
    "Comment",
    "Metadata",
    "MetadataValue",
    "Post",
    "PostRef",
    "PostWebhook",
    "Schema",
    "SchemaVersion",
    "ShortLink",
    "ShortLinkCode",
    "Webhook",
]


class Schema(TenantOwned, Base):
    """A schema's identity and its current version's header."""

    __tablename__ = "percolate_schemas"
    __table_args__ = (
        tenant_fk(["scope_id"], "scopes", ondelete="CASCADE"),
        UniqueConstraint("tenant_id", "slug"),
        Index("ix_percolate_schemas_tenant_id_scope_id", "tenant_id", "scope_id"),
    )

    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default="active")
    scope_id: Mapped[int | None] = mapped_column(default=None)
    version: Mapped[int] = mapped_column(Integer, default=1)
    limit_resource_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    ext: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    platform_key: Mapped[int | None] = mapped_column(BigInteger, default=None)
    """``ext.platform_id`` as a key, for the ``ext.platform_ids`` filter."""
    channel_type: Mapped[str | None] = mapped_column(String(40), default=None)
    """``ext.channel_type``, for the ``ext.channel_types`` filter."""


class SchemaVersion(TenantScoped, Timestamped, Base):
    """One immutable version of a schema's definition (fields, fieldsets, plugins)."""

    __tablename__ = "percolate_schema_versions"
    __table_args__ = (tenant_fk(["schema_id"], "percolate_schemas", ondelete="CASCADE"),)

    schema_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(200))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)


class Post(TenantOwned, Base):
    """A post: content (``ext``) typed by one schema version, on a channel, with a status."""

    __tablename__ = "percolate_posts"
    __table_args__ = (
        tenant_fk(["scope_id"], "scopes", ondelete="CASCADE"),
        tenant_fk(["channel_id"], "percolate_channels"),
        ForeignKeyConstraint(
            ["tenant_id", "schema_id", "schema_version"],
            [
                "percolate_schema_versions.tenant_id",
                "percolate_schema_versions.schema_id",
                "percolate_schema_versions.version",
            ],
        ),
        Index("ix_percolate_posts_tenant_id_scope_id_status", "tenant_id", "scope_id", "status"),
        Index("ix_percolate_posts_tenant_id_channel_id", "tenant_id", "channel_id"),
        Index("ix_percolate_posts_tenant_id_status_live_at", "tenant_id", "status", "live_at"),
    )

    scope_id: Mapped[int | None] = mapped_column(default=None)
    user_id: Mapped[int] = mapped_column(BigInteger)
    assignee_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    name: Mapped[str] = mapped_column(String(500), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(40), default="draft")
    live_at: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True), default=None)
    live_at_timezone: Mapped[str | None] = mapped_column(String(64), default=None)
    url: Mapped[str | None] = mapped_column(String(2048), default=None)
    xid: Mapped[str] = mapped_column(String(200), default="")
    platform_id: Mapped[int] = mapped_column(BigInteger)
    channel_id: Mapped[int] = mapped_column(BigInteger)
    schema_id: Mapped[int] = mapped_column(BigInteger)
    schema_version: Mapped[int] = mapped_column(Integer)
    ext: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    term_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    origin_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    approval_group_id: Mapped[str | None] = mapped_column(String(80), default=None)
    ingested: Mapped[bool] = mapped_column(Boolean, default=False)
    publish_error: Mapped[str | None] = mapped_column(Text, default=None)
    """Why the last publication failed (``queued.error``): a Tenantry addition."""
    search_text: Mapped[str] = mapped_column(Text, default="")
    """Lower-cased name, description and every string in ``ext``: the ``keywords`` filter."""


class Webhook(TenantOwned, Base):
    """A receiver registered by the account (a Tenantry addition): deliveries are signed
    with ``secret``, which is never shown again."""

    __tablename__ = "percolate_webhooks"
    __table_args__ = (
        tenant_fk(["scope_id"], "scopes", ondelete="CASCADE"),
        Index("ix_percolate_webhooks_tenant_id_scope_id", "tenant_id", "scope_id"),
    )

    scope_id: Mapped[int | None] = mapped_column(default=None)
    url: Mapped[str] = mapped_column(String(2048))
    secret: Mapped[str] = mapped_column(String(200))
    events: Mapped[list[str]] = mapped_column(JSON, default=list)


class PostWebhook(TenantScoped, Timestamped, Base):
    """A post associated with a webhook: each status change of the post is delivered there."""

    __tablename__ = "percolate_post_webhooks"
    __table_args__ = (
        tenant_fk(["post_id"], "percolate_posts", ondelete="CASCADE"),
        tenant_fk(["webhook_id"], "percolate_webhooks", ondelete="CASCADE"),
        tenant_fk(["scope_id"], "scopes", ondelete="CASCADE"),
        Index("ix_percolate_post_webhooks_tenant_id_webhook_id", "tenant_id", "webhook_id"),
    )

    post_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    webhook_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    scope_id: Mapped[int | None] = mapped_column(default=None)


class ChannelPublisher(TenantScoped, Timestamped, Base):
    """Where the signed-HTTP publisher delivers a custom channel's posts, and its secret."""

    __tablename__ = "percolate_channel_publishers"
    __table_args__ = (tenant_fk(["channel_id"], "percolate_channels", ondelete="CASCADE"),)

    channel_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    url: Mapped[str] = mapped_column(String(2048))
    secret: Mapped[str] = mapped_column(String(200))


class Metadata(TenantOwned, Base):
    """Values of one metadata schema version about one object (``post:12``)."""

    __tablename__ = "percolate_metadata"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "schema_id", "schema_version"],
            [
                "percolate_schema_versions.tenant_id",
                "percolate_schema_versions.schema_id",
                "percolate_schema_versions.version",
            ],
        ),
        UniqueConstraint("tenant_id", "object_kind", "object_key", "schema_id"),
        Index("ix_percolate_metadata_tenant_id_schema_id", "tenant_id", "schema_id"),
    )

    object_kind: Mapped[str] = mapped_column(String(40))
    object_key: Mapped[int] = mapped_column(BigInteger)
    scope_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    """The object's scope when written: who may read the object may read its metadata."""
    schema_id: Mapped[int] = mapped_column(BigInteger)
    schema_version: Mapped[int] = mapped_column(Integer)
    ext: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Comment(TenantOwned, Base):
    """A comment on an object (``post:12``), a reply when ``parent_comment_id`` is set, a pin
    on an image when ``context_type`` is ``coordinate``."""

    __tablename__ = "percolate_comments"
    __table_args__ = (
        tenant_fk(["parent_comment_id"], "percolate_comments"),
        Index(
            "ix_percolate_comments_tenant_id_object_kind_object_key",
            "tenant_id",
            "object_kind",
            "object_key",
        ),
    )

    object_kind: Mapped[str] = mapped_column(String(40))
    object_key: Mapped[int] = mapped_column(BigInteger)
    scope_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    """The object's scope when written: who may read the object may read its comments."""
    user_id: Mapped[int] = mapped_column(BigInteger)
    body: Mapped[str] = mapped_column(Text)
    mentions: Mapped[list[int]] = mapped_column(JSON, default=list)
    parent_comment_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    context_type: Mapped[str | None] = mapped_column(String(40), default=None)
    context_ext: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)


class ApprovalWorkflow(TenantOwned, Base):
    """A post's approval: started when the post enters approvals (``approval_group_id``),
    ``approved`` or ``rejected`` by one holder of ``approval:post:approve``, ``ended`` when
    the post leaves approvals otherwise or a new group replaces it."""

    __tablename__ = "percolate_approval_workflows"
    __table_args__ = (
        tenant_fk(["post_id"], "percolate_posts", ondelete="CASCADE"),
        tenant_fk(["scope_id"], "scopes", ondelete="CASCADE"),
        Index("ix_percolate_approval_workflows_tenant_id_post_id", "tenant_id", "post_id"),
        Index("ix_percolate_approval_workflows_tenant_id_scope_id", "tenant_id", "scope_id"),
    )

    post_id: Mapped[int] = mapped_column(BigInteger)
    scope_id: Mapped[int | None] = mapped_column(default=None)
    """The post's scope: approvers and readers are checked there."""
    user_id: Mapped[int] = mapped_column(BigInteger)
    """Who submitted the post for approval."""
    approval_group_id: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True), default=None)


class ApprovalFeedback(TenantOwned, Base):
    """One approver's decision on a workflow (``post_id`` copied for the post list filters)."""

    __tablename__ = "percolate_approval_feedback"
    __table_args__ = (
        tenant_fk(["workflow_id"], "percolate_approval_workflows", ondelete="CASCADE"),
        Index("ix_percolate_approval_feedback_tenant_id_workflow_id", "tenant_id", "workflow_id"),
        Index("ix_percolate_approval_feedback_tenant_id_user_id", "tenant_id", "user_id"),
    )

    workflow_id: Mapped[int] = mapped_column(BigInteger)
    post_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int] = mapped_column(BigInteger)
    feedback: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str] = mapped_column(Text, default="")


class PostRef(TenantScoped, Base):
    """One thing a post refers to (``kind`` ``term``, ``asset`` or ``origin``; ``ref`` its
    wire id), rewritten with the post: the ``term_ids``/``asset_ids``/``origin_ids`` list
    filters are index lookups here instead of scans of JSON columns."""

    __tablename__ = "percolate_post_refs"
    __table_args__ = (
        tenant_fk(["post_id"], "percolate_posts", ondelete="CASCADE"),
        Index("ix_percolate_post_refs_lookup", "tenant_id", "kind", "ref", "post_id"),
    )

    post_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    ref: Mapped[str] = mapped_column(String(80), primary_key=True)


class MetadataValue(TenantScoped, Base):
    """One value of a metadata record at one field path (``dates/from``), rewritten with the
    record: the ``metadata.<schema>.<path>`` list filters are index lookups here. A list
    field gives a row per item; ``value_text`` is cut at 255 characters (filter values are
    shorter), ``value_time`` holds dates and date-times for ``.from``/``.to``."""

    __tablename__ = "percolate_metadata_values"
    __table_args__ = (
        tenant_fk(["metadata_id"], "percolate_metadata", ondelete="CASCADE"),
        Index(
            "ix_percolate_metadata_values_text",
            "tenant_id",
            "schema_id",
            "path",
            "value_text",
            "object_kind",
            "object_key",
        ),
        Index(
            "ix_percolate_metadata_values_time",
            "tenant_id",
            "schema_id",
            "path",
            "value_time",
            "object_kind",
            "object_key",
        ),
    )

    metadata_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    object_kind: Mapped[str] = mapped_column(String(40))
    object_key: Mapped[int] = mapped_column(BigInteger)
    schema_id: Mapped[int] = mapped_column(BigInteger)
    path: Mapped[str] = mapped_column(String(400))
    value_text: Mapped[str | None] = mapped_column(String(255), default=None)
    value_time: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True), default=None)


class ShortLink(TenantOwned, Base):
    """A short URL the links plugin made for a URL in a post's text (``link:<id>``): where
    ``/l/<code>`` sends a visitor and how many visitors followed it."""

    __tablename__ = "percolate_short_links"
    __table_args__ = (
        tenant_fk(["post_id"], "percolate_posts", ondelete="CASCADE"),
        Index("ix_percolate_short_links_tenant_id_post_id", "tenant_id", "post_id"),
    )

    post_id: Mapped[int] = mapped_column(BigInteger)
    scope_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    """The post's scope: who may read the post may read its links and their clicks."""
    code: Mapped[str] = mapped_column(String(16))
    url: Mapped[str] = mapped_column(String(2048))
    """The URL as written in the text."""
    tracking_url: Mapped[str] = mapped_column(String(2200), default="")
    """``url`` with the tracking parameters (``""`` when not tracked); the redirect target
    when set."""
    tracking_tag_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    clicks: Mapped[int] = mapped_column(BigInteger, default=0)


class ShortLinkCode(Base):
    """Global: which tenant and link a short code belongs to, because ``/l/<code>`` names no
    tenant. Kept when the link goes, so a code once handed out never points elsewhere."""

    __tablename__ = "percolate_short_link_codes"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("tenants.id", ondelete="CASCADE"), index=True
    )
    link_id: Mapped[int] = mapped_column(BigInteger)
