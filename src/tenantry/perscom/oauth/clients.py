"""Registering, listing and revoking PERSCOM OAuth clients (the CLI's and pages' rules).

Functions take the tenant-scoped session first; the caller owns the transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from functools import lru_cache

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tenantry.core.base import utcnow
from tenantry.core.errors import FieldError, NotFound, ValidationFailed
from tenantry.core.oauth.clients import new_client_secret, validate_redirect_uri
from tenantry.core.sealing import SecretBox
from tenantry.core.tenancy import tenant_of
from tenantry.perscom.apikeys import ApiKey, check_scopes
from tenantry.perscom.oauth.models import OAuthClient, OAuthClientDirectory, OAuthToken
from tenantry.perscom.oauth.store import GRANT_TYPES
from tenantry.settings import Settings

DEFAULT_GRANT_TYPES = ("authorization_code", "refresh_token")
DEFAULT_SCOPES = ("*",)

__all__ = [
    "DEFAULT_GRANT_TYPES",
    "DEFAULT_SCOPES",
    "client_secret_box",
    "create_client",
    "get_client",
    "list_clients",
    "reset_secret",
    "reveal_secret",
    "revoke_client",
    "tenant_of_client",
]


@lru_cache(maxsize=4)
def _box(server_key: str) -> SecretBox:
    return SecretBox(server_key, "tenantry.perscom.client-secret")


def client_secret_box(settings: Settings) -> SecretBox:
    """Client secrets are sealed (OIDC's HS256 id_token is signed with them)."""
    return _box(settings.effective_secret_key)


def _check_uuid(value: str | None) -> str | None:
    if not value or len(value) != 36:
        return None
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


async def tenant_of_client(
    sessions: async_sessionmaker[AsyncSession], client_id: str | None
) -> int | None:
    """The tenant owning ``client_id`` (global directory look-up; ``None`` when unknown)."""
    key = _check_uuid(client_id)
    if key is None:
        return None
    async with sessions() as session:
        return await session.scalar(
            select(OAuthClientDirectory.tenant_id).where(OAuthClientDirectory.client_uuid == key)
        )


def _grant_types(values: Sequence[str]) -> list[str]:
    wanted = list(dict.fromkeys(v.strip() for v in values if v.strip()))
    unknown = [v for v in wanted if v not in GRANT_TYPES]
    if unknown or not wanted:
        problem = f"Grant types must be among {', '.join(GRANT_TYPES)}."
        raise ValidationFailed(problem, [FieldError("grant_types", problem)])
    return wanted


async def create_client(
    session: AsyncSession,
    box: SecretBox,
    *,
    name: str,
    redirect_uris: Sequence[str],
    grant_types: Sequence[str] = DEFAULT_GRANT_TYPES,
    scopes: Sequence[str] = DEFAULT_SCOPES,
) -> tuple[OAuthClient, str]:
    """A new client of the session's tenant and its secret (returned in clear once)."""
    tenant_id = tenant_of(session)
    if tenant_id is None:
        raise RuntimeError("create_client needs a tenant-scoped session")
    clean_name = " ".join(name.split())
    if not clean_name or len(clean_name) > 255:
        problem = "A client needs a name of 1 to 255 characters."
        raise ValidationFailed(problem, [FieldError("name", problem)])
    types = _grant_types(grant_types)
    uris = list(dict.fromkeys(validate_redirect_uri(uri) for uri in redirect_uris))
    if "authorization_code" in types and not uris:
        problem = "The authorization_code grant needs at least one redirect URI."
        raise ValidationFailed(problem, [FieldError("redirect_uris", problem)])
    secret = new_client_secret()
    client = OAuthClient(
        client_uuid=str(uuid.uuid4()),
        name=clean_name,
        secret_sealed=box.seal(secret),
        redirect_uris=uris,
        grant_types=types,
        scopes=check_scopes(scopes),
    )
    session.add(client)
    await session.flush()
    session.add(OAuthClientDirectory(client_uuid=client.client_uuid, tenant_id=tenant_id))
    await session.flush()
    return client, secret


async def list_clients(session: AsyncSession) -> list[OAuthClient]:
    return list(await session.scalars(select(OAuthClient).order_by(OAuthClient.id)))


async def get_client(session: AsyncSession, client_id: str) -> OAuthClient:
    row = await session.scalar(select(OAuthClient).where(OAuthClient.client_uuid == client_id))
    if row is None:
        raise NotFound(f"No OAuth client {client_id} in this tenant.")
    return row


async def revoke_client(session: AsyncSession, client_id: str) -> OAuthClient:
    """The client stops working, and so does every token issued to it."""
    client = await get_client(session, client_id)
    now = utcnow()
    if client.revoked_at is None:
        client.revoked_at = now
    keys = select(OAuthToken.api_key_id).where(OAuthToken.client_id == client.id)
    await session.execute(
        update(ApiKey)
        .where(ApiKey.id.in_(keys), ApiKey.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    await session.execute(
        update(OAuthToken)
        .where(OAuthToken.client_id == client.id, OAuthToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    await session.flush()
    return client


def reveal_secret(box: SecretBox, client: OAuthClient) -> str:
    """The client's secret in clear (the console shows it behind a fresh TOTP code)."""
    return box.open(client.secret_sealed)


async def reset_secret(session: AsyncSession, box: SecretBox, client: OAuthClient) -> str:
    """A new secret for ``client``; the old one stops working at once."""
    secret = new_client_secret()
    client.secret_sealed = box.seal(secret)
    await session.flush()
    return secret
