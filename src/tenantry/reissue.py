"""Fresh credentials for a tenant that arrived by ``tenantry tenant import``.

Archives never carry keys, tokens, client secrets or TOTP seeds, so an imported tenant starts
with none: its first admin (the lowest-id user holding the tenant-wide ``admin`` role) gets a
new password, a PERSCOM API key with every scope and a Percolate OAuth client with a token.
Like the demo, this names each face's own issuing functions.
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tenantry.core.identity.models import Role, User, UserRole
from tenantry.core.identity.passwords import hash_password
from tenantry.core.tenancy import tenant_session
from tenantry.settings import Settings

KEY_NAME = "Issued on import"


async def reissue_credentials(
    settings: Settings, sessions: async_sessionmaker[AsyncSession], tenant_id: int
) -> dict[str, Any]:
    """Sign-in and keys for the imported tenant's admin (``{"admin": None}`` if it has none)."""
    from tenantry.percolate.oauth.cli import create_oauth_client, create_token
    from tenantry.perscom.cli import create_api_key

    password = secrets.token_urlsafe(12)
    async with tenant_session(sessions, tenant_id) as session:
        admin = await session.scalar(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .join(Role, Role.id == UserRole.role_id)
            .where(Role.preset == "admin", UserRole.scope_id.is_(None), User.active.is_(True))
            .order_by(User.id)
            .limit(1)
        )
        if admin is None:
            return {"admin": None}
        admin_id, email = admin.id, admin.email
        # The row is otherwise the archived one: keep its updated_at, as every other row does.
        await session.execute(
            update(User)
            .where(User.id == admin_id)
            .values(password_hash=hash_password(password), updated_at=User.updated_at)
        )
    key = await create_api_key(
        settings, sessions, tenant_id=tenant_id, name=KEY_NAME, scopes=["*"], user_id=admin_id
    )
    client = await create_oauth_client(
        settings,
        sessions,
        tenant_id=tenant_id,
        name=KEY_NAME,
        redirect_uri=f"{settings.base_url.rstrip('/')}/oauth/callback",
    )
    token = await create_token(
        settings, sessions, tenant_id=tenant_id, user_id=admin_id, client_id=client["client_id"]
    )
    return {
        "admin": {"id": admin_id, "email": email, "password": password},
        "perscom_api_key": key,
        "percolate_oauth_client": client,
        "percolate_access_token": token.get("access_token"),
    }
