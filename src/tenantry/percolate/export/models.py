"""The table of exports: one request for a CSV, its progress while a job writes it, and
where the file went."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tenantry.core.base import Base, TenantOwned, UTCDateTime


class Export(TenantOwned, Base):
    """``rows_done``/``rows_total`` are written while the job runs (``rows_total`` is the
    count taken when it started); ``storage_key`` is fixed per export, so a restarted job
    overwrites the same object and the export never has two files."""

    __tablename__ = "percolate_exports"

    user_id: Mapped[int] = mapped_column(BigInteger)
    type: Mapped[str] = mapped_column(String(40))
    fields: Mapped[list[str]] = mapped_column(JSON, default=list)
    scope_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    rows_done: Mapped[int] = mapped_column(BigInteger, default=0)
    rows_total: Mapped[int | None] = mapped_column(BigInteger, default=None)
    size: Mapped[int | None] = mapped_column(BigInteger, default=None)
    storage_key: Mapped[str | None] = mapped_column(String(1024), default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True), default=None)
    """When the attempt that wrote the file began (its rows per second: rows / duration)."""
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True), default=None)
