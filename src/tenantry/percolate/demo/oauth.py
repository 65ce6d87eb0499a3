"""What the demo tenant gets from the Percolate face: an OAuth client and a ready token."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tenantry.percolate.oauth.cli import create_oauth_client, create_token
from tenantry.settings import Settings

DEMO_CLIENT_NAME = "Demo integration"
DEMO_REDIRECT_URI = "http://127.0.0.1:8765/callback"

__all__ = ["DEMO_CLIENT_NAME", "DEMO_REDIRECT_URI", "seed_demo"]


async def seed_demo(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    tenant_id: int,
    admin_user_id: int,
) -> list[str]:
    """Register a demo client, issue the admin a token; lines use ``{base}`` for the origin."""
    client = await create_oauth_client(
        settings,
        sessions,
        tenant_id=tenant_id,
        name=DEMO_CLIENT_NAME,
        redirect_uri=DEMO_REDIRECT_URI,
    )
    token = await create_token(
        settings,
        sessions,
        tenant_id=tenant_id,
        user_id=admin_user_id,
        client_id=client["client_id"],
    )
    return [
        "Percolate API as the demo admin:",
        f'  curl -H "Authorization: Bearer {token["access_token"]}" {{base}}/api/v5/me',
        f"Percolate OAuth client {client['client_id']} (secret {client['client_secret']}),"
        f" redirect {DEMO_REDIRECT_URI}:",
        f"  open {{base}}/auth/oauth2?response_type=code&client_id={client['client_id']}"
        "&state=demo",
        f"Web sign-in: {{base}}/login?account={tenant_id}",
    ]
