"""The table of the API log."""

from __future__ import annotations

from sqlalchemy import JSON, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tenantry.core.base import Base, TenantOwned

__all__ = ["ApiActivity"]


class ApiActivity(TenantOwned, Base):
    """One request and its response (spatie/laravel-activitylog's ``log_name`` ``api`` or
    ``oauth``); headers are redacted and bodies capped before they get here."""

    __tablename__ = "perscom_activity"
    __table_args__ = (
        # Newest first per log, and the prune job's range delete.
        Index("ix_perscom_activity_created", "tenant_id", "created_at"),
    )

    log_name: Mapped[str] = mapped_column(String(20), default="api")
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(2048))
    query: Mapped[str | None] = mapped_column(Text, default=None)
    status: Mapped[int] = mapped_column(Integer)
    duration_ms: Mapped[int] = mapped_column(Integer)
    credential_kind: Mapped[str | None] = mapped_column(String(20), default=None)
    credential_id: Mapped[str | None] = mapped_column(String(100), default=None)
    request_headers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    request_body: Mapped[str | None] = mapped_column(Text, default=None)
    response_headers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    response_body: Mapped[str | None] = mapped_column(Text, default=None)
    request_id: Mapped[str | None] = mapped_column(String(100), default=None)
