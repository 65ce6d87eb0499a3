"""Tables of the v5 organisation resources (roles' Percolate side, platforms, channels, terms).

Scopes live in the core (``tenantry.core.scopes``); a ``scope_id`` of NULL here means the
account itself (the tenant), and ``system`` rows belong to ``builtin_scope:system``.
"""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Boolean, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tenantry.core.base import Base, TenantOwned, TenantScoped, Timestamped, tenant_fk

__all__ = ["Channel", "Platform", "RoleProfile", "Term"]


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


class Channel(TenantOwned, Base):
    """A publishing destination in a scope, on a platform."""

    __tablename__ = "percolate_channels"
    __table_args__ = (
        tenant_fk(["scope_id"], "scopes", ondelete="CASCADE"),
        tenant_fk(["platform_id"], "percolate_platforms"),
        Index("ix_percolate_channels_tenant_id_scope_id_id", "tenant_id", "scope_id", "id"),
        Index("ix_percolate_channels_tenant_id_platform_id", "tenant_id", "platform_id"),
    )

    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(40))
    xid: Mapped[str] = mapped_column(String(200), default="")
    scope_id: Mapped[int | None] = mapped_column(default=None)
    platform_id: Mapped[int] = mapped_column()
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    term_ids: Mapped[list[int]] = mapped_column(JSON, default=list)


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
