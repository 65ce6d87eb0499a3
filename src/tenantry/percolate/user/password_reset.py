"""Password reset by mail: ``DELETE /api/v5/user/password?email=…`` and the link it sends.

No account enumeration: the answer is the same 204 whether or not the address belongs to
anyone, and the rate limits count per address and per client whatever the outcome. The mail
is a job enqueued in the same transaction as the look-up (core mail outbox).

The link carries a signed token (tenant, user, and a fingerprint of the current password
hash) valid for an hour. Setting a password changes the hash, so a token works once, and
any older token dies with it; nothing needs to be stored. The new password also ends every
web session of the user (``User.session_version``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from urllib.parse import urlencode

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select

from tenantry.core.errors import FieldError, RateLimited, ValidationFailed
from tenantry.core.identity.models import User
from tenantry.core.identity.passwords import hash_password
from tenantry.core.identity.service import normalize_email
from tenantry.core.mail import OutgoingMail
from tenantry.core.mail_jobs import enqueue_mail
from tenantry.core.platform import Platform
from tenantry.core.ratelimit import retry_after_headers
from tenantry.core.resources.scoped import of_tenant
from tenantry.core.tenancy import Tenant, tenant_session
from tenantry.settings import Settings

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
_SALT = "tenantry.percolate.password-reset"


@dataclass(frozen=True)
class ResetLimits:
    per_address: str = "5/hour"
    per_client: str = "30/hour"


@dataclass(frozen=True)
class ResetTicket:
    tenant_id: int
    user_id: int


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.effective_secret_key, salt=_SALT)


def _fingerprint(password_hash: str | None) -> str:
    return hashlib.sha256((password_hash or "-").encode()).hexdigest()[:20]


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
            token = _serializer(platform.settings).dumps(
                {"t": tenant_id, "u": user.id, "p": _fingerprint(user.password_hash)}
            )
            link = f"{platform.settings.base_url.rstrip('/')}{RESET_PATH}?" + urlencode(
                {"token": token}
            )
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


def _decode(settings: Settings, token: str) -> tuple[int, int, str] | None:
    try:
        data = _serializer(settings).loads(token, max_age=TOKEN_MAX_AGE)
    except BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    tenant_id, user_id, print_ = data.get("t"), data.get("u"), data.get("p")
    if not isinstance(tenant_id, int) or not isinstance(user_id, int):
        return None
    return tenant_id, user_id, str(print_)


async def read_ticket(platform: Platform, token: str) -> ResetTicket | None:
    """The user a reset token is for, while it is fresh and the password unchanged."""
    decoded = _decode(platform.settings, token)
    if decoded is None:
        return None
    tenant_id, user_id, print_ = decoded
    async with tenant_session(platform.sessions, tenant_id) as session:
        user = await session.get(User, (tenant_id, user_id))
        if user is None or not user.active or _fingerprint(user.password_hash) != print_:
            return None
    return ResetTicket(tenant_id, user_id)


async def set_password(platform: Platform, token: str, password: str) -> bool:
    """Set the password a valid ``token`` allows; ``False`` when the token is no good (the
    fingerprint is checked under a row lock, so a token works exactly once)."""
    check_new_password(password, "password")
    decoded = _decode(platform.settings, token)
    if decoded is None:
        return False
    tenant_id, user_id, print_ = decoded
    async with tenant_session(platform.sessions, tenant_id) as session:
        user = await session.get(User, (tenant_id, user_id), with_for_update=True)
        if user is None or not user.active or _fingerprint(user.password_hash) != print_:
            return False
        user.password_hash = hash_password(password)
        user.session_version += 1  # a new password signs out every browser
    return True
