"""Tables of the comment domain."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Index,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from tenantry.core.base import Base, TenantOwned, tenant_fk


class Comment(TenantOwned, Base):
    """A comment on an object (``post:12``), a reply when ``parent_comment_id`` is set, a pin
    on an image when ``context_type`` is ``coordinate``."""

    __tablename__ = "percolate_comments"
    __table_args__ = (
        tenant_fk(["parent_comment_id"], "percolate_comments"),
        Index(
            "ix_percolate_comments_tenant_id_object_kind_object_key",
            "tenant_id",
            "object_kind",
            "object_key",
        ),
    )

    object_kind: Mapped[str] = mapped_column(String(40))
    object_key: Mapped[int] = mapped_column(BigInteger)
    scope_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    """The object's scope when written: who may read the object may read its comments."""
    user_id: Mapped[int] = mapped_column(BigInteger)
    body: Mapped[str] = mapped_column(Text)
    mentions: Mapped[list[Any]] = mapped_column(JSON, default=list)
    """``[{user, offset, length}]`` (rows from before spans were kept: bare user keys)."""
    parent_comment_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    context_type: Mapped[str | None] = mapped_column(String(40), default=None)
    context_ext: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
