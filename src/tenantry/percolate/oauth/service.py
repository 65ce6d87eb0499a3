"""Client registration, secrets and connected applications: the rules behind the pages and CLI.

Functions take the tenant-scoped session first; the caller owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tenantry.core.base import utcnow
from tenantry.core.errors import FieldError, NotFound, ValidationFailed
from tenantry.core.oauth.clients import new_client_secret, validate_redirect_uri
from tenantry.core.resources.scoped import same_tenant
from tenantry.core.sealing import SecretBox
from tenantry.core.tenancy import tenant_of
from tenantry.percolate import ids
from tenantry.percolate.oauth.models import (
    OAuthClient,
    OAuthClientDirectory,
    OAuthToken,
)
from tenantry.percolate.oauth.store import OAuthStore
from tenantry.settings import Settings

MAX_NAME = 100

__all__ = [
    "ConnectedApplication",
    "client_secret_box",
    "connected_applications",
    "disable_token",
    "get_client",
    "issue_token",
    "list_clients",
    "register_client",
    "reset_secret",
    "reveal_secret",
    "revoke_client",
    "tenant_of_client",
    "validate_redirect_uri",
]


@lru_cache(maxsize=4)
def _client_secret_box(server_key: str) -> SecretBox:
    return SecretBox(server_key, "tenantry.percolate.client-secret")


def client_secret_box(settings: Settings) -> SecretBox:
    """The box client secrets are sealed in (its own key purpose; built once per key)."""
    return _client_secret_box(settings.effective_secret_key)


async def tenant_of_client(
    sessions: async_sessionmaker[AsyncSession], client_id: str | None
) -> int | None:
    """The tenant owning ``client_id`` (global directory look-up; ``None`` when unknown)."""
    key = ids.parse(ids.CLIENT, client_id, bare=True)
    if key is None:
        return None
    async with sessions() as session:
        return await session.scalar(
            select(OAuthClientDirectory.tenant_id).where(OAuthClientDirectory.client_id == key)
        )


def validate_name(value: str) -> str:
    name = " ".join(value.split())
    if not name:
        problem = "The application needs a name."
    elif len(name) > MAX_NAME:
        problem = f"The name is longer than {MAX_NAME} characters."
    else:
        return name
    raise ValidationFailed(problem, [FieldError("name", problem, value)])


async def register_client(
    session: AsyncSession,
    box: SecretBox,
    *,
    name: str,
    redirect_uri: str,
    created_by_user_id: int | None = None,
) -> tuple[OAuthClient, str]:
    """A new client of the session's tenant and its secret (returned in clear once)."""
    tenant_id = tenant_of(session)
    if tenant_id is None:
        raise RuntimeError("register_client needs a tenant-scoped session")
    errors: list[FieldError] = []
    clean: dict[str, str] = {}
    for field, check, value in (
        ("name", validate_name, name),
        ("redirect_uri", validate_redirect_uri, redirect_uri),
    ):
        try:
            clean[field] = check(value)
        except ValidationFailed as exc:
            errors.extend(exc.errors)
    if errors:
        reasons = " ".join(error.message for error in errors)
        raise ValidationFailed(f"The application could not be registered. {reasons}", errors)
    secret = new_client_secret()
    client = OAuthClient(
        name=clean["name"],
        redirect_uri=clean["redirect_uri"],
        secret_sealed=box.seal(secret),
        created_by_user_id=created_by_user_id,
    )
    session.add(client)
    await session.flush()
    session.add(OAuthClientDirectory(client_id=client.id, tenant_id=tenant_id))
    await session.flush()
    return client, secret


async def list_clients(session: AsyncSession) -> list[OAuthClient]:
    rows = await session.scalars(
        select(OAuthClient).where(OAuthClient.active.is_(True)).order_by(OAuthClient.id)
    )
    return list(rows)


async def get_client(session: AsyncSession, client_id: int) -> OAuthClient:
    tenant_id = tenant_of(session)
    row = await session.get(OAuthClient, (tenant_id, client_id)) if tenant_id else None
    if row is None or not row.active:
        raise NotFound("No such application.")
    return row


def reveal_secret(box: SecretBox, client: OAuthClient) -> str:
    return box.open(client.secret_sealed)


async def reset_secret(session: AsyncSession, box: SecretBox, client: OAuthClient) -> str:
    """A new secret; the old one stops working at once (issued tokens stay valid)."""
    secret = new_client_secret()
    client.secret_sealed = box.seal(secret)
    client.secret_reset_at = utcnow()
    await session.flush()
    return secret


async def revoke_client(session: AsyncSession, client_id: int) -> OAuthClient:
    """The application stops working: no new tokens, and every token issued to it is
    disabled (an inactive client's tokens are refused anyway; this makes it permanent)."""
    client = await get_client(session, client_id)
    client.active = False
    await session.execute(
        update(OAuthToken)
        .where(OAuthToken.client_id == client.id, OAuthToken.disabled_at.is_(None))
        .values(disabled_at=utcnow(), disabled_reason="client_revoked")
    )
    await session.flush()
    return client


async def issue_token(
    session: AsyncSession, box: SecretBox, *, client_id: object, user_id: int
) -> dict[str, Any]:
    """The token endpoint's JSON for ``user_id`` and ``client_id``, issued without a grant
    dance (operators and scripts). Same issuing code as the token endpoint."""

    def issue(sync_session: Any) -> dict[str, Any]:
        store = OAuthStore(sync_session, box)
        client = store.client(client_id)
        if client is None:
            raise NotFound(f"No active OAuth client {client_id!s} in this tenant.")
        user = store.user(user_id)
        if user is None:
            raise NotFound(f"No active user {user_id} in this tenant.")
        return store.issue(client, user)

    return await session.run_sync(issue)


@dataclass(frozen=True)
class ConnectedApplication:
    token_id: int
    client_name: str
    client_id: str
    issued_at: datetime
    expires_at: datetime


async def connected_applications(session: AsyncSession, user_id: int) -> list[ConnectedApplication]:
    """The user's live tokens (one per application), newest first."""
    rows = await session.execute(
        select(OAuthToken, OAuthClient.name)
        .join(
            OAuthClient,
            (same_tenant(OAuthClient, OAuthToken)) & (OAuthClient.id == OAuthToken.client_id),
        )
        .where(OAuthToken.user_id == user_id, OAuthToken.disabled_at.is_(None))
        .order_by(OAuthToken.id.desc())
    )
    return [
        ConnectedApplication(
            token_id=token.id,
            client_name=name,
            client_id=ids.encode(ids.CLIENT, token.client_id),
            issued_at=token.created_at,
            expires_at=token.expires_at,
        )
        for token, name in rows
    ]


async def disable_token(session: AsyncSession, user_id: int, token_id: int) -> bool:
    """Disable one of the user's own tokens: it stops working and cannot be refreshed."""
    result = await session.execute(
        update(OAuthToken)
        .where(
            OAuthToken.id == token_id,
            OAuthToken.user_id == user_id,
            OAuthToken.disabled_at.is_(None),
        )
        .values(disabled_at=utcnow(), disabled_reason="user")
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
