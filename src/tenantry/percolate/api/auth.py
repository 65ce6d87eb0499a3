"""Who is calling the Percolate API: an OAuth bearer token or a legacy API key, as a Principal.

``Authorization: Bearer <access token>`` is the documented way; ``Authorization: <api key>``
(no scheme word) is how Percolate's own SDK and WordPress plugin send a personal key. Both
carry their tenant id in front (``<tenant>.<random>``), so resolving one is one query in that
tenant's session. Anything missing, unknown, expired, disabled, or belonging to a disabled
user, tenant or client is a 401 in Percolate's error shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import Depends, Request
from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tenantry.core.auth import Credential, Principal
from tenantry.core.base import utcnow
from tenantry.core.credential_cache import CredentialCache
from tenantry.core.errors import FieldError, Unauthenticated
from tenantry.core.identity import service as identity
from tenantry.core.identity.models import User
from tenantry.core.platform import Platform, PlatformDep
from tenantry.core.resources.scoped import of_tenant, same_tenant
from tenantry.core.resources.sql import fixed
from tenantry.core.tenancy import Tenant
from tenantry.core.unit import Unit, open_unit
from tenantry.percolate.api.throttle import throttle
from tenantry.percolate.oauth.apikeys import ApiKey
from tenantry.percolate.oauth.credentials import hash_secret, tenant_of_credential
from tenantry.percolate.oauth.models import OAuthClient, OAuthToken

REALM = "Percolate"
LAST_USED_RESOLUTION = timedelta(hours=1)
"""An API key's ``last_used_at`` is written at most this often (no write per request)."""

__all__ = [
    "CallerDep",
    "Presented",
    "PrincipalDep",
    "authenticate",
    "confirm_credential",
    "current_principal",
    "presented",
    "verify",
]


def _refused(
    message: str, code: str = "auth:invalid_token", *, presented: bool = True
) -> Exception:
    challenge = f'Bearer realm="{REALM}"' + (', error="invalid_token"' if presented else "")
    return Unauthenticated(
        message, [FieldError(None, message, code=code)], headers={"WWW-Authenticate": challenge}
    )


@dataclass(frozen=True)
class Presented:
    """A credential as read off the ``Authorization`` header: its tenant and kind are known,
    nothing is checked yet (:func:`verify` does that inside the request's own transaction)."""

    tenant_id: int
    kind: Literal["oauth_token", "api_key"]
    secret: str


def presented(authorization: str | None) -> Presented:
    """Parse the header, or :class:`Unauthenticated` for a missing or malformed one."""
    value = (authorization or "").strip()
    if not value:
        raise _refused("An access token is required.", "auth:token_required", presented=False)
    scheme, sep, credential = value.partition(" ")
    if sep:
        if scheme.lower() != "bearer":
            raise _refused("Send the access token as 'Authorization: Bearer <token>'.")
        token = credential.strip()
        tenant_id = tenant_of_credential(token)
        if tenant_id is None:
            raise _refused("The access token is not valid.")
        return Presented(tenant_id, "oauth_token", token)
    tenant_id = tenant_of_credential(value)
    if tenant_id is None or len(value) > 200:
        raise _refused("The API key is not valid.")
    return Presented(tenant_id, "api_key", value)


@dataclass(frozen=True)
class Verified:
    """The user behind a credential; ``stale_key``: an API key whose ``last_used_at`` is due
    to be written (:func:`touch_api_key`)."""

    user_id: int
    credential: Credential
    stale_key: int | None = None


async def verify(
    unit: Unit, credential: Presented, cache: CredentialCache[Any] | None = None
) -> Verified:
    """The user behind ``credential`` (read in ``unit``, the credential's tenant, unless
    ``cache`` answered for it a moment ago), or :class:`Unauthenticated`."""
    digest = hash_secret(credential.secret)
    key = (credential.kind, digest)
    cached = cache.get(unit.tenant_id, key) if cache else None
    if isinstance(cached, Verified):
        return cached
    epoch = cache.epoch(unit.tenant_id) if cache else (0, 0)
    if credential.kind == "oauth_token":
        verified, expires_at = await _access_token_user(unit, digest)
    else:
        verified, expires_at = await _api_key_user(unit, digest), None
    if cache:
        # Cached without the pending last-used write: that is done once, by this request.
        fresh = Verified(verified.user_id, verified.credential)
        cache.put(unit.tenant_id, key, fresh, epoch=epoch, expires_at=expires_at)
    return verified


async def touch_api_key(session: AsyncSession, key_id: int) -> None:
    """Record that API key ``key_id`` was used now."""
    await session.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=utcnow()))


async def authenticate(platform: Platform, authorization: str | None) -> Principal:
    """The principal behind an ``Authorization`` header value, or :class:`Unauthenticated`."""
    credential = presented(authorization)
    async with open_unit(platform, credential.tenant_id, read_only=False) as unit:
        verified = await verify(unit, credential, platform.credentials)
        if verified.stale_key is not None:
            await touch_api_key(unit.session, verified.stale_key)
        permissions = await identity.effective_permissions(unit.session, verified.user_id)
    return Principal(credential.tenant_id, verified.user_id, permissions, verified.credential)


_TOKEN_ROW = fixed(
    select(
        OAuthToken.id,
        OAuthToken.user_id,
        OAuthToken.expires_at,
        OAuthToken.disabled_at,
        User.active,
        Tenant.active,
        OAuthClient.active,
    )
    .join(User, (same_tenant(User, OAuthToken)) & (User.id == OAuthToken.user_id))
    .join(Tenant, Tenant.id == OAuthToken.tenant_id)
    .join(
        OAuthClient,
        (same_tenant(OAuthClient, OAuthToken)) & (OAuthClient.id == OAuthToken.client_id),
    )
    .where(
        of_tenant(OAuthToken, bindparam("tenant_id")),
        OAuthToken.access_token_hash == bindparam("digest"),
    )
)
_KEY_ROW = fixed(
    select(ApiKey.id, ApiKey.user_id, ApiKey.last_used_at, User.active, Tenant.active)
    .join(User, (same_tenant(User, ApiKey)) & (User.id == ApiKey.user_id))
    .join(Tenant, Tenant.id == ApiKey.tenant_id)
    .where(
        of_tenant(ApiKey, bindparam("tenant_id")),
        ApiKey.key_hash == bindparam("digest"),
        ApiKey.revoked_at.is_(None),
    )
)


async def _access_token_user(unit: Unit, digest: str) -> tuple[Verified, datetime]:
    row = await unit.db.first(_TOKEN_ROW, {"tenant_id": unit.tenant_id, "digest": digest})
    if row is None:
        raise _refused("The access token is not valid.")
    token_id, user_id, expires_at, disabled_at, user_active, tenant_active, client_ok = row
    if disabled_at is not None:
        raise _refused("The access token has been disabled.")
    if expires_at <= utcnow():
        raise _refused("The access token has expired.")
    if not (user_active and tenant_active and client_ok):
        raise _refused("The access token is not valid.")
    return Verified(user_id, Credential("oauth_token", token_id)), expires_at


async def _api_key_user(unit: Unit, digest: str) -> Verified:
    row = await unit.db.first(_KEY_ROW, {"tenant_id": unit.tenant_id, "digest": digest})
    if row is None:
        raise _refused("The API key is not valid.")
    key_id, user_id, last_used_at, user_active, tenant_active = row
    if not (user_active and tenant_active):
        raise _refused("The API key is not valid.")
    stale = last_used_at is None or utcnow() - last_used_at > LAST_USED_RESOLUTION
    return Verified(user_id, Credential("api_key", key_id), key_id if stale else None)


async def current_principal(request: Request, platform: PlatformDep) -> Principal:
    await presented_credential(request)
    return await authenticate(platform, request.headers.get("authorization"))


async def presented_credential(request: Request) -> Presented:
    """The credential, counted against its rate limit before any database work."""
    credential = presented(request.headers.get("authorization"))
    runtime = request.app.state.percolate
    await throttle(runtime.platform, runtime.token_rate, credential.secret)
    return credential


async def confirm_credential(request: Request) -> None:
    """401 unless the request's credential is good: checked before reading a large body."""
    credential = presented(request.headers.get("authorization"))
    runtime = request.app.state.percolate
    async with open_unit(runtime.platform, credential.tenant_id, read_only=True) as unit:
        await verify(unit, credential, runtime.platform.credentials)


PrincipalDep = Annotated[Principal, Depends(current_principal)]
CallerDep = Annotated[Presented, Depends(presented_credential)]
"""The v5 endpoints take the credential unchecked and verify it in the request's transaction
(:func:`tenantry.percolate.api.context.open_context`): one round trip, not two."""
