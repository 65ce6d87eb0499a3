"""OAuth tables of the PERSCOM face: clients, codes and the refresh side of tokens.

An access token is an API key row (:class:`tenantry.perscom.apikeys.ApiKey`); the token row
here holds what only OAuth needs: the refresh token's hash, the client, the granted scopes
and the code the chain started from (a replayed code revokes everything it produced). The
client directory is global: the token endpoint finds the tenant from ``client_id`` alone.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tenantry.core.base import Base, TenantOwned, tenant_fk

__all__ = ["OAuthClient", "OAuthClientDirectory", "OAuthCode", "OAuthToken"]


class OAuthClient(TenantOwned, Base):
    """A registered integration of one tenant; its public id is a UUID (as Passport's)."""

    __tablename__ = "perscom_oauth_clients"
    __table_args__ = (UniqueConstraint("tenant_id", "client_uuid"),)

    client_uuid: Mapped[str] = mapped_column(String(36))
    name: Mapped[str] = mapped_column(String(255))
    secret_sealed: Mapped[str] = mapped_column(String(500))
    redirect_uris: Mapped[list[str]] = mapped_column(JSON)
    grant_types: Mapped[list[str]] = mapped_column(JSON)
    scopes: Mapped[list[str]] = mapped_column(JSON)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class OAuthClientDirectory(Base):
    """Global: which tenant a client id belongs to (routing only: no name, no secret)."""

    __tablename__ = "perscom_oauth_client_directory"

    client_uuid: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("tenants.id", ondelete="CASCADE"), index=True
    )


class OAuthCode(TenantOwned, Base):
    """An authorization code: short-lived, single use, kept after use to detect replays."""

    __tablename__ = "perscom_oauth_codes"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code_hash"),
        tenant_fk(["user_id"], "users", ondelete="CASCADE"),
        tenant_fk(["client_id"], "perscom_oauth_clients", ondelete="CASCADE"),
    )

    code_hash: Mapped[str] = mapped_column(String(64))
    client_id: Mapped[int] = mapped_column()
    user_id: Mapped[int] = mapped_column()
    redirect_uri: Mapped[str | None] = mapped_column(String(2000), default=None)
    scopes: Mapped[list[str]] = mapped_column(JSON)
    nonce: Mapped[str | None] = mapped_column(String(255), default=None)
    code_challenge: Mapped[str | None] = mapped_column(String(128), default=None)
    code_challenge_method: Mapped[str | None] = mapped_column(String(10), default=None)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column(default=None)


class OAuthToken(TenantOwned, Base):
    """The OAuth side of one issued access token (an API key) and its refresh token."""

    __tablename__ = "perscom_oauth_tokens"
    __table_args__ = (
        UniqueConstraint("tenant_id", "refresh_token_hash"),
        Index("ix_perscom_oauth_tokens_origin", "tenant_id", "origin_code_id"),
        Index("ix_perscom_oauth_tokens_api_key", "tenant_id", "api_key_id"),
        tenant_fk(["user_id"], "users", ondelete="CASCADE"),
        tenant_fk(["client_id"], "perscom_oauth_clients", ondelete="CASCADE"),
        tenant_fk(["api_key_id"], "perscom_api_keys", ondelete="CASCADE"),
    )

    client_id: Mapped[int] = mapped_column()
    user_id: Mapped[int | None] = mapped_column(default=None)
    api_key_id: Mapped[int] = mapped_column()
    refresh_token_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    refresh_expires_at: Mapped[datetime | None] = mapped_column(default=None)
    scopes: Mapped[list[str]] = mapped_column(JSON)
    origin_code_id: Mapped[int | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
