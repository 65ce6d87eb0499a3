"""Tables of the webhook domain."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Index,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from tenantry.core.base import Base, TenantOwned, TenantScoped, Timestamped, tenant_fk


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
