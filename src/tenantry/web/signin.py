"""Signing in to the web pages: password, then TOTP when enabled, rate limited.

Email addresses are unique per tenant, not globally, so a sign-in names its tenant (the
organisation id; during an OAuth flow the client's tenant fills it in). See
docs/decisions.md, "Where a person signs in".

Failed sign-ins are limited per account (tenant + email) and per client address. Attempts
count before the password is checked, so a locked account cannot be probed; a successful
sign-in clears the account's counter, never the address's (one good account must not reset
an address that is guessing others).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tenantry.core.base import utcnow
from tenantry.core.errors import RateLimited, TenantryError
from tenantry.core.identity import service as identity
from tenantry.core.identity import two_factor
from tenantry.core.identity.models import User
from tenantry.core.identity.passwords import verify_password
from tenantry.core.platform import Platform
from tenantry.core.ratelimit import retry_after_headers
from tenantry.core.sealing import SecretBox
from tenantry.core.tenancy import Tenant, tenant_session

__all__ = [
    "SignInFailed",
    "SignInLimits",
    "SignedInUser",
    "check_second_factor",
    "load_signed_in",
    "parse_account",
    "sign_in",
]


@dataclass(frozen=True)
class SignInLimits:
    """Rate-limit rules (``limits`` notation) for sign-in and second-factor attempts."""

    per_account: str = "10 per 15 minutes"
    per_address: str = "100 per 15 minutes"
    second_factor: str = "5 per 5 minutes"


class SignInFailed(Exception):
    """Wrong organisation, email or password (deliberately not saying which)."""


@dataclass(frozen=True)
class PasswordAccepted:
    tenant_id: int
    user_id: int
    needs_second_factor: bool
    session_version: int = 0


@dataclass(frozen=True)
class SignedInUser:
    """The person behind a full web session, with what the pages need to decide."""

    tenant_id: int
    tenant_name: str
    user_id: int
    email: str
    name: str
    permissions: frozenset[str]
    two_factor: bool

    def can(self, permission: str) -> bool:
        return permission in self.permissions or "*" in self.permissions


def parse_account(value: str | None) -> int | None:
    """An organisation id as typed: ``7`` or Percolate's ``account:7``."""
    if not value:
        return None
    text = value.strip().lower().removeprefix("account:")
    if not text.isdigit() or len(text) > 18:
        return None
    return int(text)


async def _hit(platform: Platform, rule: str, *key: str) -> None:
    result = await platform.limiter.hit(rule, *key)
    if not result.allowed:
        raise RateLimited(
            "Too many sign-in attempts. Wait a little and try again.",
            headers=retry_after_headers(result),
        )


async def sign_in(
    platform: Platform,
    limits: SignInLimits,
    *,
    tenant_id: int | None,
    email: str,
    password: str,
    address: str,
) -> PasswordAccepted:
    """Check a password sign-in; raises :class:`SignInFailed` or ``RateLimited``."""
    await _hit(platform, limits.per_address, "web-sign-in-address", address)
    try:
        normalized = identity.normalize_email(email)
    except TenantryError:
        normalized = email.strip().lower()
    account_key = (f"{tenant_id}", normalized)
    await _hit(platform, limits.per_account, "web-sign-in-account", *account_key)
    checked = False
    if tenant_id is not None:
        async with platform.sessions() as plain:
            tenant = await plain.get(Tenant, tenant_id)
        if tenant is not None and tenant.active:
            async with tenant_session(platform.sessions, tenant_id) as session:
                user = await session.scalar(select(User).where(User.email == normalized))
                valid, new_hash = verify_password(password, user.password_hash if user else None)
                checked = True
                if user is not None and valid and user.active:
                    if new_hash:
                        user.password_hash = new_hash
                    user.last_login_at = utcnow()
                    needs = await two_factor.is_enabled(session, user.id)
                    await platform.limiter.clear(
                        limits.per_account, "web-sign-in-account", *account_key
                    )
                    return PasswordAccepted(tenant_id, user.id, needs, user.session_version)
    if not checked:
        verify_password(password, None)  # same cost whether or not the organisation exists
    raise SignInFailed


async def check_second_factor(
    platform: Platform,
    limits: SignInLimits,
    box: SecretBox,
    *,
    tenant_id: int,
    user_id: int,
    code: str,
    allow_recovery: bool = True,
) -> bool:
    """A TOTP code (or a recovery code when allowed), at most a few tries per window."""
    await _hit(platform, limits.second_factor, "web-second-factor", str(tenant_id), str(user_id))
    async with tenant_session(platform.sessions, tenant_id) as session:
        if allow_recovery:
            ok = await two_factor.verify_code(session, box, user_id, code)
        else:
            ok = await two_factor.verify_totp(session, box, user_id, code)
    if ok:
        await platform.limiter.clear(
            limits.second_factor, "web-second-factor", str(tenant_id), str(user_id)
        )
    return ok


async def load_signed_in(
    platform: Platform, tenant_id: int, user_id: int, session_version: int
) -> SignedInUser | None:
    """The signed-in user, or ``None`` when the user or the tenant is gone or disabled, or
    the session was ended (its version is no longer the user's)."""
    async with tenant_session(platform.sessions, tenant_id) as session:
        return await signed_in_from(session, tenant_id, user_id, session_version)


async def signed_in_from(
    session: AsyncSession, tenant_id: int, user_id: int, session_version: int
) -> SignedInUser | None:
    row = (
        await session.execute(
            select(User, Tenant)
            .join(Tenant, Tenant.id == User.tenant_id)
            .where(User.id == user_id, User.tenant_id == tenant_id)
        )
    ).first()
    if row is None:
        return None
    user, tenant = row
    if not (user.active and tenant.active) or user.session_version != session_version:
        return None
    return SignedInUser(
        tenant_id=tenant_id,
        tenant_name=tenant.name,
        user_id=user.id,
        email=user.email,
        name=user.name,
        permissions=await identity.effective_permissions(session, user.id),
        two_factor=await two_factor.is_enabled(session, user.id),
    )
