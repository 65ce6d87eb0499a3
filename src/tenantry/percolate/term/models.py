"""Tables of the term domain."""

from __future__ import annotations

from sqlalchemy import BigInteger, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tenantry.core.base import Base, TenantOwned, tenant_fk


class Term(TenantOwned, Base):
    """A tag or a taxonomy node. ``path`` lists the ancestors' ids root first (``/3/9/``), so
    a subtree is one prefix and a cycle is visible before it is written."""

    __tablename__ = "percolate_terms"
    __table_args__ = (
        tenant_fk(["scope_id"], "scopes", ondelete="CASCADE"),
        tenant_fk(["parent_id"], "percolate_terms"),
        UniqueConstraint("tenant_id", "scope_key", "parent_key", "namespace", "name_key"),
        Index("ix_percolate_terms_tenant_id_parent_id", "tenant_id", "parent_id"),
        Index("ix_percolate_terms_tenant_id_path", "tenant_id", "path"),
    )

    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200))
    namespace: Mapped[str] = mapped_column(String(100), default="tag")
    scope_id: Mapped[int | None] = mapped_column(default=None)
    scope_key: Mapped[int] = mapped_column(BigInteger, default=0)
    parent_id: Mapped[int | None] = mapped_column(default=None)
    parent_key: Mapped[int] = mapped_column(BigInteger, default=0)
    path: Mapped[str] = mapped_column(String(2000), default="/")
    depth: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20), default="active")
