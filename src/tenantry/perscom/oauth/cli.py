"""``tenantry perscom oauth-client create|list|revoke``: PERSCOM OAuth clients from the shell.

``create`` prints ``{"client_id", "client_secret", ...}`` (the secret is shown once);
``list`` prints one JSON object per client, never a secret; ``revoke`` prints the client.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tenantry.core.console import emit, run, with_sessions
from tenantry.settings import Settings

oauth_client_app = typer.Typer(help="Manage PERSCOM OAuth clients.", no_args_is_help=True)

__all__ = [
    "create_oauth_client",
    "list_oauth_clients",
    "oauth_client_app",
    "revoke_oauth_client",
]


def _describe(client: Any) -> dict[str, Any]:
    return {
        "client_id": client.client_uuid,
        "tenant_id": client.tenant_id,
        "name": client.name,
        "redirect_uris": client.redirect_uris,
        "grant_types": client.grant_types,
        "scopes": client.scopes,
        "revoked_at": client.revoked_at.isoformat() if client.revoked_at else None,
        "created_at": client.created_at.isoformat(),
    }


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.replace(" ", ",").split(",") if part.strip()]


async def create_oauth_client(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    *,
    tenant_id: int,
    name: str,
    redirect_uris: list[str],
    grant_types: list[str] | None = None,
    scopes: list[str] | None = None,
) -> dict[str, Any]:
    """Register a client for ``tenant_id``; its description plus ``client_secret``."""
    from tenantry.core.identity import service as identity
    from tenantry.core.tenancy import tenant_session
    from tenantry.perscom.oauth import clients

    async with sessions() as session:
        await identity.get_tenant(session, tenant_id)
    async with tenant_session(sessions, tenant_id) as session:
        client, secret = await clients.create_client(
            session,
            clients.client_secret_box(settings),
            name=name,
            redirect_uris=redirect_uris,
            grant_types=grant_types or clients.DEFAULT_GRANT_TYPES,
            scopes=scopes or clients.DEFAULT_SCOPES,
        )
        return {**_describe(client), "client_secret": secret}


async def list_oauth_clients(
    sessions: async_sessionmaker[AsyncSession], *, tenant_id: int
) -> list[dict[str, Any]]:
    from tenantry.core.identity import service as identity
    from tenantry.core.tenancy import tenant_session
    from tenantry.perscom.oauth import clients

    async with sessions() as session:
        await identity.get_tenant(session, tenant_id)
    async with tenant_session(sessions, tenant_id) as session:
        return [_describe(client) for client in await clients.list_clients(session)]


async def revoke_oauth_client(
    sessions: async_sessionmaker[AsyncSession], *, tenant_id: int, client_id: str
) -> dict[str, Any]:
    from tenantry.core.identity import service as identity
    from tenantry.core.tenancy import tenant_session
    from tenantry.perscom.oauth import clients

    async with sessions() as session:
        await identity.get_tenant(session, tenant_id)
    async with tenant_session(sessions, tenant_id) as session:
        return _describe(await clients.revoke_client(session, client_id))


@oauth_client_app.command("create")
def client_create(
    tenant: Annotated[int, typer.Option(help="Tenant id (the PERSCOM ID).")],
    name: Annotated[str, typer.Option(help="The integration's name, shown on consent.")],
    redirect_uri: Annotated[
        list[str] | None,
        typer.Option("--redirect-uri", help="A registered redirect URI (repeatable)."),
    ] = None,
    grant_types: Annotated[
        str,
        typer.Option(
            help="Comma-separated: authorization_code, refresh_token, client_credentials."
        ),
    ] = "authorization_code,refresh_token",
    scopes: Annotated[
        str,
        typer.Option(help='Scopes a token may get, comma-separated (default "*": all).'),
    ] = "*",
) -> None:
    """Register an OAuth client; prints its id and secret (the secret is shown only once)."""

    async def work(settings: Settings) -> dict[str, Any]:
        return await with_sessions(
            settings,
            lambda sessions: create_oauth_client(
                settings,
                sessions,
                tenant_id=tenant,
                name=name,
                redirect_uris=list(redirect_uri or []),
                grant_types=_split(grant_types),
                scopes=_split(scopes),
            ),
        )

    emit(run(work))


@oauth_client_app.command("list")
def client_list(tenant: Annotated[int, typer.Option(help="Tenant id.")]) -> None:
    """A tenant's clients, one JSON object per line (never the secrets)."""

    async def work(settings: Settings) -> list[dict[str, Any]]:
        return await with_sessions(
            settings, lambda sessions: list_oauth_clients(sessions, tenant_id=tenant)
        )

    for client in run(work):
        emit(client)


@oauth_client_app.command("revoke")
def client_revoke(
    tenant: Annotated[int, typer.Option(help="Tenant id.")],
    client_id: Annotated[str, typer.Option("--client-id", help="The client's id (a UUID).")],
) -> None:
    """Revoke a client and every token issued to it."""

    async def work(settings: Settings) -> dict[str, Any]:
        return await with_sessions(
            settings,
            lambda sessions: revoke_oauth_client(sessions, tenant_id=tenant, client_id=client_id),
        )

    emit(run(work))
