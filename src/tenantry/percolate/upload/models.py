"""Tables of the upload domain: files on their way into a library."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tenantry.core.base import Base, TenantOwned, tenant_fk


class Upload(TenantOwned, Base):
    """One file arriving in a license: by URL (the server fetches) or by file (a policy).

    ``storage_key`` is where the bytes land (``uploads/<tenant>/<id>/<filename>``);
    ``expires_at`` is when an upload still ``uploading`` is given up and cleaned.
    """

    __tablename__ = "percolate_uploads"
    __table_args__ = (
        tenant_fk(["scope_id"], "scopes", ondelete="CASCADE"),
        Index("ix_percolate_uploads_status_expires_at", "status", "expires_at"),
    )

    scope_id: Mapped[int] = mapped_column(BigInteger)
    type: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20), default="uploading")
    asset_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    destination_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    creator_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    created_through: Mapped[str | None] = mapped_column(String(255), default=None)
    ext: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    storage_key: Mapped[str] = mapped_column(String(1024), default="")
    expires_at: Mapped[datetime] = mapped_column()


class UploadPolicy(TenantOwned, Base):
    """The one-time credentials handed out for an upload (kept so their id is stable)."""

    __tablename__ = "percolate_upload_policies"
    __table_args__ = (
        tenant_fk(["upload_id"], "percolate_uploads", ondelete="CASCADE"),
        Index("ix_percolate_upload_policies_tenant_id_upload_id", "tenant_id", "upload_id"),
    )

    upload_id: Mapped[int] = mapped_column(BigInteger)
    type: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(1024))
    multipart_id: Mapped[str | None] = mapped_column(String(1024), default=None)
