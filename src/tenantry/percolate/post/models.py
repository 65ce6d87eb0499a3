"""Tables of the post domain."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from tenantry.core.base import Base, TenantOwned, TenantScoped, Timestamped, UTCDateTime, tenant_fk


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


class ChannelPublisher(TenantScoped, Timestamped, Base):
    """Where the signed-HTTP publisher delivers a custom channel's posts, and its secret."""

    __tablename__ = "percolate_channel_publishers"
    __table_args__ = (tenant_fk(["channel_id"], "percolate_channels", ondelete="CASCADE"),)

    channel_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    url: Mapped[str] = mapped_column(String(2048))
    secret: Mapped[str] = mapped_column(String(200))


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
