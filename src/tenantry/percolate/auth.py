"""Who is calling the Percolate API: an OAuth bearer token or a legacy API key, as a Principal.

``Authorization: Bearer <access token>`` is the documented way; ``Authorization: <api key>``
(no scheme word) is how Percolate's own SDK and WordPress plugin send a personal key. Both
carry their tenant id in front (``<tenant>.<random>``), so resolving one is one query in that
tenant's session. Anything missing, unknown, expired, disabled, or belonging to a disabled
user, tenant or client is a 401 in Percolate's error shape.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import select, update

from tenantry.core.auth import Credential, Principal
from tenantry.core.base import utcnow
from tenantry.core.errors import FieldError, Unauthenticated
from tenantry.core.identity import service as identity
from tenantry.core.identity.models import User
from tenantry.core.platform import Platform, PlatformDep
from tenantry.core.tenancy import Tenant, tenant_session
from tenantry.percolate.apikeys import ApiKey
from tenantry.percolate.credentials import hash_secret, tenant_of_credential
from tenantry.percolate.oauth2.models import OAuthClient, OAuthToken

REALM = "Percolate"
LAST_USED_RESOLUTION = timedelta(hours=1)
"""An API key's ``last_used_at`` is written at most this often (no write per request)."""

__all__ = ["PrincipalDep", "authenticate", "current_principal"]


def _refused(
    message: str, code: str = "auth:invalid_token", *, presented: bool = True
) -> Exception:
    challenge = f'Bearer realm="{REALM}"' + (', error="invalid_token"' if presented else "")
    return Unauthenticated(
        message, [FieldError(None, message, code=code)], headers={"WWW-Authenticate": challenge}
    )


async def authenticate(platform: Platform, authorization: str | None) -> Principal:
    """The principal behind an ``Authorization`` header value, or :class:`Unauthenticated`."""
    value = (authorization or "").strip()
    if not value:
        raise _refused("An access token is required.", "auth:token_required", presented=False)
    scheme, sep, credential = value.partition(" ")
    if sep:
        if scheme.lower() != "bearer":
            raise _refused("Send the access token as 'Authorization: Bearer <token>'.")
        return await _from_access_token(platform, credential.strip())
    return await _from_api_key(platform, value)


async def _from_access_token(platform: Platform, token: str) -> Principal:
    tenant_id = tenant_of_credential(token)
    if tenant_id is None:
        raise _refused("The access token is not valid.")
    async with tenant_session(platform.sessions, tenant_id) as session:
        row = (
            await session.execute(
                select(
                    OAuthToken.id,
                    OAuthToken.user_id,
                    OAuthToken.expires_at,
                    OAuthToken.disabled_at,
                    User.active,
                    Tenant.active,
                    OAuthClient.active,
                )
                .join(
                    User, (User.tenant_id == OAuthToken.tenant_id) & (User.id == OAuthToken.user_id)
                )
                .join(Tenant, Tenant.id == OAuthToken.tenant_id)
                .join(
                    OAuthClient,
                    (OAuthClient.tenant_id == OAuthToken.tenant_id)
                    & (OAuthClient.id == OAuthToken.client_id),
                )
                .where(OAuthToken.access_token_hash == hash_secret(token))
            )
        ).first()
        if row is None:
            raise _refused("The access token is not valid.")
        token_id, user_id, expires_at, disabled_at, user_active, tenant_active, client_ok = row
        if disabled_at is not None:
            raise _refused("The access token has been disabled.")
        if expires_at <= utcnow():
            raise _refused("The access token has expired.")
        if not (user_active and tenant_active and client_ok):
            raise _refused("The access token is not valid.")
        permissions = await identity.effective_permissions(session, user_id)
    return Principal(tenant_id, user_id, permissions, Credential("oauth_token", token_id))


async def _from_api_key(platform: Platform, key: str) -> Principal:
    tenant_id = tenant_of_credential(key)
    if tenant_id is None or len(key) > 200:
        raise _refused("The API key is not valid.")
    async with tenant_session(platform.sessions, tenant_id) as session:
        row = (
            await session.execute(
                select(ApiKey.id, ApiKey.user_id, ApiKey.last_used_at, User.active, Tenant.active)
                .join(User, (User.tenant_id == ApiKey.tenant_id) & (User.id == ApiKey.user_id))
                .join(Tenant, Tenant.id == ApiKey.tenant_id)
                .where(ApiKey.key_hash == hash_secret(key), ApiKey.revoked_at.is_(None))
            )
        ).first()
        if row is None:
            raise _refused("The API key is not valid.")
        key_id, user_id, last_used_at, user_active, tenant_active = row
        if not (user_active and tenant_active):
            raise _refused("The API key is not valid.")
        now = utcnow()
        if last_used_at is None or now - last_used_at > LAST_USED_RESOLUTION:
            await session.execute(
                update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=now)
            )
        permissions = await identity.effective_permissions(session, user_id)
    return Principal(tenant_id, user_id, permissions, Credential("api_key", key_id))


async def current_principal(request: Request, platform: PlatformDep) -> Principal:
    return await authenticate(platform, request.headers.get("authorization"))


PrincipalDep = Annotated[Principal, Depends(current_principal)]
