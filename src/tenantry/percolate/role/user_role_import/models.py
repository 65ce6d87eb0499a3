"""The table of user-role imports: one CSV applied row by row, and what each row did."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from tenantry.core.base import Base, TenantOwned, tenant_fk


class UserRoleImport(TenantOwned, Base):
    """``errors`` holds the first :data:`.rows.MAX_REPORTED_ERRORS` failed rows (line, message)."""

    __tablename__ = "percolate_user_role_imports"
    __table_args__ = (tenant_fk(["asset_id"], "percolate_assets", ondelete="CASCADE"),)

    asset_id: Mapped[int] = mapped_column(BigInteger)
    account_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    creator_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    row_count: Mapped[int] = mapped_column(Integer, default=0)
    created_count: Mapped[int] = mapped_column(Integer, default=0)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
