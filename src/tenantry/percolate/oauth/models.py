"""OAuth 2.0 storage: clients, the user's grant to a client, codes and tokens.

Everything a tenant owns is a tenant table (row-level security, composite foreign keys), so
a token can never point at another tenant's client or user. The one global table is the
client directory: it maps a client id to its tenant, so the token and authorization
endpoints can open the right tenant's session from nothing but the ``client_id`` they were
sent. Access tokens carry their tenant id in clear (``<tenant>.<random>``) for the same
reason. Every code and token is stored as a SHA-256 hash; client secrets are sealed (the
"Show secret" page must reveal them), see docs/decisions.md.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from tenantry.core.base import Base, TenantOwned, tenant_fk

__all__ = ["OAuthClient", "OAuthClientDirectory", "OAuthCode", "OAuthGrant", "OAuthToken"]

LIVE = text("disabled_at IS NULL")


class OAuthClient(TenantOwned, Base):
    """A registered application of one tenant (a Percolate account)."""

    __tablename__ = "percolate_oauth_clients"

    name: Mapped[str] = mapped_column(String(100))
    redirect_uri: Mapped[str] = mapped_column(String(2000))
    secret_sealed: Mapped[str] = mapped_column(String(500))
    secret_reset_at: Mapped[datetime | None] = mapped_column(default=None)
    created_by_user_id: Mapped[int | None] = mapped_column(default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class OAuthClientDirectory(Base):
    """Global: which tenant a client id belongs to (no name, no secret: routing only)."""

    __tablename__ = "percolate_oauth_client_directory"

    client_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    tenant_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("tenants.id", ondelete="CASCADE"), index=True
    )


class OAuthGrant(TenantOwned, Base):
    """A user's authorisation of a client; Percolate's ``grant_id``."""

    __tablename__ = "percolate_oauth_grants"
    __table_args__ = (
        UniqueConstraint("tenant_id", "user_id", "client_id"),
        tenant_fk(["user_id"], "users", ondelete="CASCADE"),
        tenant_fk(["client_id"], "percolate_oauth_clients", ondelete="CASCADE"),
    )

    user_id: Mapped[int] = mapped_column()
    client_id: Mapped[int] = mapped_column()


class OAuthCode(TenantOwned, Base):
    """An authorization code: valid 300 s, single use; kept after use to detect replays."""

    __tablename__ = "percolate_oauth_codes"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code_hash"),
        tenant_fk(["user_id"], "users", ondelete="CASCADE"),
        tenant_fk(["client_id"], "percolate_oauth_clients", ondelete="CASCADE"),
    )

    code_hash: Mapped[str] = mapped_column(String(64))
    client_id: Mapped[int] = mapped_column()
    user_id: Mapped[int] = mapped_column()
    redirect_uri: Mapped[str | None] = mapped_column(String(2000), default=None)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column(default=None)
    code_challenge: Mapped[str | None] = mapped_column(String(128), default=None)
    """The PKCE challenge (S256) the code was requested with; the token request must
    then carry its verifier."""


class OAuthToken(TenantOwned, Base):
    """An access token with its refresh token. At most one live token per user and client.

    ``disabled_reason`` says why a token stopped working: ``superseded`` (a newer token was
    issued), ``user`` (disabled on the connected-applications page), ``code_reused`` or
    ``client_revoked`` (its application was revoked in the console).
    ``origin_code_id`` is the code the chain of refreshes started from, so a replayed code
    can revoke everything it produced.
    """

    __tablename__ = "percolate_oauth_tokens"
    __table_args__ = (
        UniqueConstraint("tenant_id", "access_token_hash"),
        UniqueConstraint("tenant_id", "refresh_token_hash"),
        Index(
            "ix_percolate_oauth_tokens_one_live",
            "tenant_id",
            "user_id",
            "client_id",
            unique=True,
            sqlite_where=LIVE,
            postgresql_where=LIVE,
        ),
        tenant_fk(["user_id"], "users", ondelete="CASCADE"),
        tenant_fk(["client_id"], "percolate_oauth_clients", ondelete="CASCADE"),
        tenant_fk(["grant_id"], "percolate_oauth_grants", ondelete="CASCADE"),
    )

    grant_id: Mapped[int] = mapped_column()
    client_id: Mapped[int] = mapped_column()
    user_id: Mapped[int] = mapped_column()
    access_token_hash: Mapped[str] = mapped_column(String(64))
    refresh_token_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column()
    disabled_at: Mapped[datetime | None] = mapped_column(default=None)
    disabled_reason: Mapped[str | None] = mapped_column(String(20), default=None)
    origin_code_id: Mapped[int | None] = mapped_column(default=None)
