"""Two-factor state of a user: a sealed TOTP seed and hashed one-time recovery codes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from tenantry.core.base import Base, TenantOwned, TenantScoped, Timestamped, tenant_fk

__all__ = ["RecoveryCode", "TwoFactor"]


class TwoFactor(TenantScoped, Timestamped, Base):
    """A user's TOTP seed. Unconfirmed (``confirmed_at`` null) until the first right code.

    ``last_used_step`` is the TOTP time step of the last accepted code, so the same code
    cannot be replayed inside its validity window.
    """

    __tablename__ = "web_two_factor"
    __table_args__ = (tenant_fk(["user_id"], "users", ondelete="CASCADE"),)

    user_id: Mapped[int] = mapped_column(primary_key=True)
    secret_sealed: Mapped[str] = mapped_column(String(500))
    confirmed_at: Mapped[datetime | None] = mapped_column(default=None)
    last_used_step: Mapped[int | None] = mapped_column(default=None)


class RecoveryCode(TenantOwned, Base):
    """One single-use recovery code (SHA-256 of its normalised text)."""

    __tablename__ = "web_recovery_codes"
    __table_args__ = (
        tenant_fk(["user_id"], "users", ondelete="CASCADE"),
        Index("ix_web_recovery_codes_tenant_id_user_id", "tenant_id", "user_id"),
    )

    user_id: Mapped[int] = mapped_column()
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(default=None)
