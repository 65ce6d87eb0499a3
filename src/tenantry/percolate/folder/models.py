"""Tables of the folder domain: a scope's library tree."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tenantry.core.base import Base, TenantOwned, tenant_fk


class Folder(TenantOwned, Base):
    """A folder of a license's library; ``parent_id`` null is the root (``folder:0``).

    A deleted folder keeps its ``parent_id`` so a restore puts it back where it was;
    ``trashed_with`` names the folder whose delete carried this row into the trashcan
    (null for the row deleted itself), so a restore brings back exactly that subtree.
    """

    __tablename__ = "percolate_folders"
    __table_args__ = (
        tenant_fk(["scope_id"], "scopes", ondelete="CASCADE"),
        tenant_fk(["parent_id"], "percolate_folders"),
        Index(
            "ix_percolate_folders_tenant_id_scope_id_parent_id",
            "tenant_id",
            "scope_id",
            "parent_id",
        ),
        Index("ix_percolate_folders_tenant_id_parent_id", "tenant_id", "parent_id"),
    )

    scope_id: Mapped[int] = mapped_column(BigInteger)
    parent_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text, default=None)
    creator_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    trashed_with: Mapped[int | None] = mapped_column(BigInteger, default=None)
