"""Tables of the platform domain."""

from __future__ import annotations

from sqlalchemy import Boolean, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tenantry.core.base import Base, TenantOwned, tenant_fk


class Platform(TenantOwned, Base):
    """A platform: ``native:*`` ones are system built-ins (read-only), ``custom`` ones editable."""

    __tablename__ = "percolate_platforms"
    __table_args__ = (
        tenant_fk(["scope_id"], "scopes", ondelete="CASCADE"),
        UniqueConstraint("tenant_id", "builtin_key"),
        Index("ix_percolate_platforms_tenant_id_scope_id", "tenant_id", "scope_id"),
    )

    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(60))
    color: Mapped[str | None] = mapped_column(String(7), default=None)
    avatar_id: Mapped[str | None] = mapped_column(String(80), default=None)
    scope_id: Mapped[int | None] = mapped_column(default=None)
    system: Mapped[bool] = mapped_column(Boolean, default=False)
    builtin_key: Mapped[str | None] = mapped_column(String(60), default=None)
