"""Tables of the channel domain."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from tenantry.core.base import Base, TenantOwned, tenant_fk


class Channel(TenantOwned, Base):
    """A publishing destination in a scope, on a platform."""

    __tablename__ = "percolate_channels"
    __table_args__ = (
        tenant_fk(["scope_id"], "scopes", ondelete="CASCADE"),
        tenant_fk(["platform_id"], "percolate_platforms"),
        Index("ix_percolate_channels_tenant_id_scope_id_id", "tenant_id", "scope_id", "id"),
        Index("ix_percolate_channels_tenant_id_platform_id", "tenant_id", "platform_id"),
    )

    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(40))
    xid: Mapped[str] = mapped_column(String(200), default="")
    scope_id: Mapped[int | None] = mapped_column(default=None)
    platform_id: Mapped[int] = mapped_column()
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    term_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
