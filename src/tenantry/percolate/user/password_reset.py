"""Password reset by mail: ``DELETE /api/v5/user/password?email=…`` and the link it sends.

No account enumeration: the answer is the same 204 whether or not the address belongs to
anyone, and the rate limits count per address and per client whatever the outcome. The mail
is a job enqueued in the same transaction as the look-up (core mail outbox).

The link is a :class:`~tenantry.core.identity.password_links.PasswordLink` valid for an
hour: setting a password spends it and every older one. The new password also ends every
web session of the user (``User.session_version``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from tenantry.core.errors import FieldError, RateLimited, ValidationFailed
from tenantry.core.identity.models import User
from tenantry.core.identity.password_links import PasswordLink
from tenantry.core.identity.passwords import hash_password
from tenantry.core.identity.service import normalize_email
from tenantry.core.mail import OutgoingMail
from tenantry.core.mail_jobs import enqueue_mail
from tenantry.core.platform import Platform
from tenantry.core.ratelimit import retry_after_headers
from tenantry.core.resources.scoped import of_tenant
from tenantry.core.tenancy import Tenant, tenant_session

__all__ = [
    "MIN_PASSWORD",
    "RESET_PATH",
    "ResetLimits",
    "ResetTicket",
    "check_new_password",
    "read_ticket",
    "request_reset",
    "set_password",
]

RESET_PATH = "/reset-password"
TOKEN_MAX_AGE = 3600
MIN_PASSWORD = 10
MAX_PASSWORD = 1000
MAX_TENANTS_SCANNED = 1000
"""Without ``account_id`` the address is looked up in every active account, up to this many."""
RESET = PasswordLink("tenantry.percolate.password-reset", TOKEN_MAX_AGE, RESET_PATH)


@dataclass(frozen=True)
class ResetLimits:
    per_address: str = "5/hour"
    per_client: str = "30/hour"


@dataclass(frozen=True)
class ResetTicket:
    tenant_id: int
    user_id: int


def check_new_password(password: str, key: str = "new_password") -> None:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        message = f"A password has {MIN_PASSWORD} to {MAX_PASSWORD} characters."
        raise ValidationFailed(message, [FieldError(key, message)])


async def _limit(platform: Platform, rule: str, *key: str) -> None:
    result = await platform.limiter.hit(rule, *key)
    if not result.allowed:
        raise RateLimited(
            "Too many password reset requests. Try again later.",
            [FieldError(None, "Too many password reset requests.", code="rate_limit:exceeded")],
            headers=retry_after_headers(result),
        )


async def request_reset(
    platform: Platform,
    email: str,
    *,
    account_id: int | None,
    client: str,
    limits: ResetLimits = ResetLimits(),
) -> None:
    """Mail a reset link to ``email`` in ``account_id`` (or any account) if it is a user's."""
    address = normalize_email(email)
    await _limit(platform, limits.per_address, "pwreset-address", address)
    await _limit(platform, limits.per_client, "pwreset-client", client)
    if account_id is not None:
        accounts = [account_id]
    else:
        async with platform.sessions() as session:
            accounts = list(
                await session.scalars(
                    select(Tenant.id)
                    .where(Tenant.active.is_(True))
                    .order_by(Tenant.id)
                    .limit(MAX_TENANTS_SCANNED)
                )
            )
    for tenant_id in accounts:
        async with tenant_session(platform.sessions, tenant_id) as session:
            user = await session.scalar(
                select(User).where(
                    of_tenant(User, tenant_id), User.email == address, User.active.is_(True)
                )
            )
            if user is None:
                continue
            link = RESET.url(platform.settings, user)
            await enqueue_mail(
                session,
                OutgoingMail(
                    to=[user.email],
                    subject="Reset your password",
                    text=(
                        f"Hello {user.name},\n\nSomeone asked to reset the password of your"
                        f" account. To choose a new one, open this link within an hour:\n\n"
                        f"{link}\n\nIf it was not you, ignore this message.\n"
                    ),
                ),
                tenant_id=tenant_id,
            )


async def read_ticket(platform: Platform, token: str) -> ResetTicket | None:
    """The user a reset token is for, while it is fresh and the password unchanged."""
    holder = await RESET.holder(platform, token)
    return None if holder is None else ResetTicket(holder.tenant_id, holder.user_id)


async def set_password(platform: Platform, token: str, password: str) -> bool:
    """Set the password a valid ``token`` allows; ``False`` when the token is no good (the
    fingerprint is checked under a row lock, so a token works exactly once)."""
    check_new_password(password, "password")
    async with RESET.redeem(platform, token) as user:
        if user is None:
            return False
        user.password_hash = hash_password(password)
        user.session_version += 1  # a new password signs out every browser
    return True
