"""``tenantry apikey create|list|revoke`` (DESIGN.md §6): PERSCOM API keys from the shell.

``create`` prints ``{"id", "token"}``; ``list`` prints one JSON object per key; ``revoke``
prints the revoked key. The token is shown once and never stored (only its ``jti`` hash).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tenantry.core.console import emit, run, with_sessions
from tenantry.settings import Settings

apikey_app = typer.Typer(help="Manage PERSCOM API keys.", no_args_is_help=True)

__all__ = ["apikey_app", "create_api_key", "list_api_keys", "revoke_api_key"]


async def create_api_key(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    *,
    tenant_id: int,
    name: str,
    scopes: list[str],
    user_id: int | None = None,
    expires_in_days: int | None = None,
    algorithm: str = "RS256",
) -> dict[str, Any]:
    """Issue a key in ``tenant_id``; returns ``{"id", "token"}``."""
    from tenantry.core.identity import service as identity
    from tenantry.core.tenancy import tenant_session
    from tenantry.perscom.apikeys import DEFAULT_LIFETIME_DAYS, ApiKeyIssuer, SigningKeys

    async with sessions() as session:
        await identity.get_tenant(session, tenant_id)
    issuer = ApiKeyIssuer(SigningKeys.load(settings), settings)
    async with tenant_session(sessions, tenant_id) as session:
        issued = await issuer.issue(
            session,
            tenant_id,
            name=name,
            scopes=scopes,
            user_id=user_id,
            expires_in_days=DEFAULT_LIFETIME_DAYS if expires_in_days is None else expires_in_days,
            algorithm=algorithm,
        )
    return {"id": issued.id, "token": issued.token}


def _describe(key: Any) -> dict[str, Any]:
    return {
        "id": key.id,
        "tenant_id": key.tenant_id,
        "name": key.name,
        "user_id": key.user_id,
        "scopes": key.scopes,
        "algorithm": key.algorithm,
        "expires_at": key.expires_at.isoformat() if key.expires_at else None,
        "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None,
        "created_at": key.created_at.isoformat(),
    }


async def list_api_keys(
    sessions: async_sessionmaker[AsyncSession], *, tenant_id: int
) -> list[dict[str, Any]]:
    from tenantry.core.identity import service as identity
    from tenantry.core.tenancy import tenant_session
    from tenantry.perscom.apikeys import list_keys

    async with sessions() as session:
        await identity.get_tenant(session, tenant_id)
    async with tenant_session(sessions, tenant_id) as session:
        return [_describe(key) for key in await list_keys(session)]


async def revoke_api_key(
    sessions: async_sessionmaker[AsyncSession], *, tenant_id: int, key_id: int
) -> dict[str, Any]:
    from tenantry.core.identity import service as identity
    from tenantry.core.tenancy import tenant_session
    from tenantry.perscom.apikeys import revoke_key

    async with sessions() as session:
        await identity.get_tenant(session, tenant_id)
    async with tenant_session(sessions, tenant_id) as session:
        return _describe(await revoke_key(session, key_id))


MAX_LIFETIME_DAYS = 3650
"""A key lives at most ten years; there is no "never expires" (0 used to mean it)."""


@apikey_app.command("create")
def apikey_create(
    tenant: Annotated[int, typer.Option(help="Tenant id (the PERSCOM ID).")],
    name: Annotated[str, typer.Option(help="A name to recognise the key by.")],
    scopes: Annotated[
        str, typer.Option(help='Comma-separated, e.g. "view:user,create:user" or "*".')
    ],
    user: Annotated[int | None, typer.Option(help="User the key acts as (its `sub`).")] = None,
    expires_in: Annotated[
        int | None,
        typer.Option(
            "--expires-in", min=1, max=MAX_LIFETIME_DAYS, help="Lifetime in days (default 365)."
        ),
    ] = None,
    algorithm: Annotated[str, typer.Option(help="RS256 (default) or HS256.")] = "RS256",
) -> None:
    """Issue an API key; prints {"id", "token"} (the token is shown only once)."""
    wanted = [s.strip() for s in scopes.split(",") if s.strip()]

    async def work(settings: Settings) -> dict[str, Any]:
        return await with_sessions(
            settings,
            lambda sessions: create_api_key(
                settings,
                sessions,
                tenant_id=tenant,
                name=name,
                scopes=wanted,
                user_id=user,
                expires_in_days=expires_in,
                algorithm=algorithm.upper(),
            ),
        )

    emit(run(work))


@apikey_app.command("list")
def apikey_list(tenant: Annotated[int, typer.Option(help="Tenant id.")]) -> None:
    """List a tenant's keys, one JSON object per line (never the tokens)."""

    async def work(settings: Settings) -> list[dict[str, Any]]:
        return await with_sessions(
            settings, lambda sessions: list_api_keys(sessions, tenant_id=tenant)
        )

    for key in run(work):
        emit(key)


@apikey_app.command("revoke")
def apikey_revoke(
    tenant: Annotated[int, typer.Option(help="Tenant id.")],
    key: Annotated[int, typer.Option("--id", help="The key's id (from `apikey list`).")],
) -> None:
    """Revoke a key: requests with it are refused (401) from now on."""

    async def work(settings: Settings) -> dict[str, Any]:
        return await with_sessions(
            settings, lambda sessions: revoke_api_key(sessions, tenant_id=tenant, key_id=key)
        )

    emit(run(work))
