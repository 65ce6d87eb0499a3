"""Users, roles, grants and second factors, all tenant-owned."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from tenantry.core.base import Base, TenantOwned, TenantScoped, Timestamped, tenant_fk


class User(TenantOwned, Base):
    """One person inside one tenant; each face presents it in its own shape."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("tenant_id", "email"),)

    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(255), default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    email_verified_at: Mapped[datetime | None] = mapped_column(default=None)
    last_login_at: Mapped[datetime | None] = mapped_column(default=None)
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Web sessions carry the version they were issued at; bumping it (sign-out, a new
    password or email, a second-factor change) ends every copy of every session at once."""


class Role(TenantOwned, Base):
    """A named set of permissions. ``preset`` roles expand to a whole class of permissions,
    so a built-in ``admin`` keeps every permission even as faces add new ones."""

    __tablename__ = "roles"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(String(500), default="")
    preset: Mapped[str | None] = mapped_column(String(20), default=None)


class RolePermission(TenantScoped, Base):
    __tablename__ = "role_permissions"
    __table_args__ = (tenant_fk(["role_id"], "roles", ondelete="CASCADE"),)

    role_id: Mapped[int] = mapped_column(primary_key=True)
    permission: Mapped[str] = mapped_column(String(100), primary_key=True)


_TENANT_WIDE = text("scope_id IS NULL")
_SCOPED = text("scope_id IS NOT NULL")


class UserRole(TenantOwned, Base):
    """A role granted to a user, tenant-wide (``scope_id`` NULL) or in one scope and the scopes
    below it (``tenantry.core.scopes``). A (user, role, scope) triple is granted once."""

    __tablename__ = "user_roles"
    __table_args__ = (
        tenant_fk(["user_id"], "users", ondelete="CASCADE"),
        tenant_fk(["role_id"], "roles", ondelete="CASCADE"),
        tenant_fk(["scope_id"], "scopes", ondelete="CASCADE"),
        Index(
            "uq_user_roles_tenant_wide",
            "tenant_id",
            "user_id",
            "role_id",
            unique=True,
            postgresql_where=_TENANT_WIDE,
            sqlite_where=_TENANT_WIDE,
        ),
        Index(
            "uq_user_roles_scoped",
            "tenant_id",
            "user_id",
            "role_id",
            "scope_id",
            unique=True,
            postgresql_where=_SCOPED,
            sqlite_where=_SCOPED,
        ),
        Index("ix_user_roles_tenant_id_scope_id_id", "tenant_id", "scope_id", "id"),
        Index("ix_user_roles_tenant_id_role_id", "tenant_id", "role_id"),
        Index("ix_user_roles_tenant_id_user_id", "tenant_id", "user_id"),
    )

    user_id: Mapped[int] = mapped_column()
    role_id: Mapped[int] = mapped_column()
    scope_id: Mapped[int | None] = mapped_column(default=None)


class TwoFactor(TenantScoped, Timestamped, Base):
    """A user's TOTP seed, sealed. Unconfirmed (``confirmed_at`` null) until the first right code.

    ``last_used_step`` is the TOTP time step of the last accepted code, so the same code
    cannot be replayed inside its validity window. The table keeps the name it was born with
    in the web pages.
    """

    __tablename__ = "web_two_factor"
    __table_args__ = (tenant_fk(["user_id"], "users", ondelete="CASCADE"),)

    user_id: Mapped[int] = mapped_column(primary_key=True)
    secret_sealed: Mapped[str] = mapped_column(String(500))
    confirmed_at: Mapped[datetime | None] = mapped_column(default=None)
    last_used_step: Mapped[int | None] = mapped_column(default=None)


class RecoveryCode(TenantOwned, Base):
    """One single-use two-factor recovery code (SHA-256 of its normalised text)."""

    __tablename__ = "web_recovery_codes"
    __table_args__ = (
        tenant_fk(["user_id"], "users", ondelete="CASCADE"),
        Index("ix_web_recovery_codes_tenant_id_user_id", "tenant_id", "user_id"),
    )

    user_id: Mapped[int] = mapped_column()
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(default=None)


# ``user_roles.scope_id`` references ``scopes``: the scope tree's tables must be in the metadata
# whenever user roles are (flush order, DDL). Imported last, as ``tenantry.core.scopes`` builds
# on the models above.
from tenantry.core import scopes as _scopes  # noqa: E402, F401
