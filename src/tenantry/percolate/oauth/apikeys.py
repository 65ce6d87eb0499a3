"""Legacy personal API keys: ``Authorization: <key>`` with no scheme word (reference §1.1).

Percolate's own SDK and WordPress plugin send a user's API key this way. A key acts as its
user, like an access token, but is made and revoked by the user on a web page. Keys are
stored as SHA-256 hashes and shown once; like access tokens they start with their tenant
id (``<tenant>.<random>``), so a request can open the right tenant's session.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from tenantry.core.base import Base, TenantOwned, tenant_fk, utcnow
from tenantry.core.errors import FieldError, ValidationFailed
from tenantry.core.tenancy import tenant_of
from tenantry.percolate.oauth.credentials import hash_secret, new_credential

MAX_KEYS_PER_USER = 20
MAX_NAME = 100

__all__ = ["ApiKey", "create_api_key", "list_api_keys", "revoke_api_key"]


class ApiKey(TenantOwned, Base):
    __tablename__ = "percolate_api_keys"
    __table_args__ = (
        tenant_fk(["user_id"], "users", ondelete="CASCADE"),
        Index("ix_percolate_api_keys_tenant_id_key_hash", "tenant_id", "key_hash", unique=True),
        Index("ix_percolate_api_keys_tenant_id_user_id", "tenant_id", "user_id"),
    )

    user_id: Mapped[int] = mapped_column()
    name: Mapped[str] = mapped_column(String(100))
    key_hash: Mapped[str] = mapped_column(String(64))
    hint: Mapped[str] = mapped_column(String(12))
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


async def list_api_keys(session: AsyncSession, user_id: int) -> list[ApiKey]:
    rows = await session.scalars(
        select(ApiKey)
        .where(ApiKey.user_id == user_id, ApiKey.revoked_at.is_(None))
        .order_by(ApiKey.id)
    )
    return list(rows)


async def create_api_key(session: AsyncSession, user_id: int, name: str) -> tuple[ApiKey, str]:
    """A new key for ``user_id``; the clear key is returned once and never stored."""
    tenant_id = tenant_of(session)
    if tenant_id is None:
        raise RuntimeError("create_api_key needs a tenant-scoped session")
    clean = " ".join(name.split())
    if not clean or len(clean) > MAX_NAME:
        problem = f"Give the key a name of 1 to {MAX_NAME} characters."
        raise ValidationFailed(problem, [FieldError("name", problem, name)])
    if len(await list_api_keys(session, user_id)) >= MAX_KEYS_PER_USER:
        problem = f"You already have {MAX_KEYS_PER_USER} keys; revoke one first."
        raise ValidationFailed(problem, [FieldError("name", problem, name)])
    key = new_credential(tenant_id)
    row = ApiKey(user_id=user_id, name=clean, key_hash=hash_secret(key), hint=key[-4:])
    session.add(row)
    await session.flush()
    return row, key


async def revoke_api_key(session: AsyncSession, user_id: int, key_id: int) -> bool:
    result = await session.execute(
        update(ApiKey)
        .where(ApiKey.id == key_id, ApiKey.user_id == user_id, ApiKey.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
