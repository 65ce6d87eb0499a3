"""Tables of the role domain."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tenantry.core.base import Base, TenantScoped, Timestamped, tenant_fk


class RoleProfile(TenantScoped, Timestamped, Base):
    """What Percolate adds to a core role: its ``code`` and whether it is a system built-in."""

    __tablename__ = "percolate_role_profiles"
    __table_args__ = (
        tenant_fk(["role_id"], "roles", ondelete="CASCADE"),
        tenant_fk(["scope_id"], "scopes", ondelete="CASCADE"),
        UniqueConstraint("tenant_id", "code"),
    )

    role_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    code: Mapped[str] = mapped_column(String(100))
    system: Mapped[bool] = mapped_column(Boolean, default=False)
    scope_id: Mapped[int | None] = mapped_column(default=None)
