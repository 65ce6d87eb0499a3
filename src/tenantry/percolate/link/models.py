"""Tables of the link domain."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from tenantry.core.base import Base, TenantOwned, tenant_fk


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
