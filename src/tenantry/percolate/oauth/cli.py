"""``tenantry oauth-client ...`` and ``tenantry token ...`` (DESIGN.md §6).

Both print one JSON object. ``token create`` goes through the token endpoint's own issuing
code, so what it prints is exactly what ``POST /auth/v5/token/`` would answer.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tenantry.core.console import emit, run, with_sessions
from tenantry.settings import Settings

oauth_client_app = typer.Typer(help="Manage Percolate OAuth clients.", no_args_is_help=True)
token_app = typer.Typer(help="Issue Percolate access tokens.", no_args_is_help=True)

__all__ = ["create_oauth_client", "create_token", "oauth_client_app", "token_app"]


async def create_oauth_client(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    *,
    tenant_id: int,
    name: str,
    redirect_uri: str,
) -> dict[str, Any]:
    """Register a client for ``tenant_id``; returns ``{"client_id", "client_secret"}``."""
    from tenantry.core.identity import service as identity
    from tenantry.core.tenancy import tenant_session
    from tenantry.percolate import ids
    from tenantry.percolate.oauth import service

    async with sessions() as session:
        await identity.get_tenant(session, tenant_id)
    async with tenant_session(sessions, tenant_id) as session:
        client, secret = await service.register_client(
            session,
            service.client_secret_box(settings),
            name=name,
            redirect_uri=redirect_uri,
        )
    return {"client_id": ids.encode(ids.CLIENT, client.id), "client_secret": secret}


async def create_token(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    *,
    tenant_id: int,
    user_id: int,
    client_id: str,
) -> dict[str, Any]:
    """Issue an access token for ``user_id`` through ``client_id``: the token endpoint's JSON."""
    from tenantry.core.identity import service as identity
    from tenantry.core.tenancy import tenant_session
    from tenantry.percolate.oauth import service

    async with sessions() as session:
        await identity.get_tenant(session, tenant_id)
    async with tenant_session(sessions, tenant_id) as session:
        return await service.issue_token(
            session, service.client_secret_box(settings), client_id=client_id, user_id=user_id
        )


@oauth_client_app.command("create")
def oauth_client_create(
    tenant: Annotated[int, typer.Option(help="Tenant (account) id.")],
    name: Annotated[str, typer.Option(help="The application's name.")],
    redirect_uri: Annotated[str, typer.Option(help="Its registered redirect (callback) URL.")],
) -> None:
    """Register an OAuth client; prints {"client_id", "client_secret"}."""

    async def work(settings: Settings) -> dict[str, Any]:
        return await with_sessions(
            settings,
            lambda sessions: create_oauth_client(
                settings, sessions, tenant_id=tenant, name=name, redirect_uri=redirect_uri
            ),
        )

    emit(run(work))


@token_app.command("create")
def token_create(
    tenant: Annotated[int, typer.Option(help="Tenant (account) id.")],
    user: Annotated[int, typer.Option(help="User id (the token acts as this user).")],
    client: Annotated[str, typer.Option(help="OAuth client id, e.g. client:12.")],
) -> None:
    """Issue an access token (disabling the user's previous one for that client)."""

    async def work(settings: Settings) -> dict[str, Any]:
        return await with_sessions(
            settings,
            lambda sessions: create_token(
                settings, sessions, tenant_id=tenant, user_id=user, client_id=client
            ),
        )

    emit(run(work))
