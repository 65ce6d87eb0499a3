"""The audit tables: the entries of each tenant and the head of each tenant's chain."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from tenantry.core.base import Base, TenantOwned, TenantScoped

__all__ = ["AuditEntry", "AuditHead"]


class AuditEntry(TenantOwned, Base):
    """One writing transaction: who, what (the main row and its field diffs), from where."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_seq", "tenant_id", "seq", unique=True),
        Index("ix_audit_entries_resource", "tenant_id", "resource_type", "resource_id"),
    )

    seq: Mapped[int] = mapped_column(BigInteger)
    """Position in the tenant's chain (1, 2, ...): a deleted entry leaves a gap."""
    at: Mapped[datetime]
    actor_user_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    credential: Mapped[str] = mapped_column(String(100))
    """``api_key:12``, ``oauth_token:3``, ``session:5``, ``cli``, ``system``."""
    action: Mapped[str] = mapped_column(String(20))
    """``create``, ``update``, ``delete`` or ``checkpoint`` (written by pruning)."""
    resource_type: Mapped[str] = mapped_column(String(100))
    """The table of the main row changed (``users``, ``percolate_posts``, ...)."""
    resource_id: Mapped[str | None] = mapped_column(String(200), default=None)
    changes: Mapped[dict[str, Any]] = mapped_column(JSON)
    """``{field: [before, after]}`` of the main row; secrets appear as ``"[redacted]"``."""
    related: Mapped[list[Any]] = mapped_column(JSON)
    """The other rows the same transaction changed, each ``{resource_type, resource_id,
    action, changes}``."""
    request_id: Mapped[str | None] = mapped_column(String(200), default=None)
    address: Mapped[str | None] = mapped_column(String(64), default=None)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(TenantScoped, Base):
    """The last entry of a tenant's chain; locked while appending so the chain never forks."""

    __tablename__ = "audit_heads"

    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
