"""Inviting someone by email: the user is created without a password, and a mail (through
the job queue, in the same transaction) carries a signed link to choose one.

The link's token names the tenant and user and a fingerprint of the current password hash
(none yet), valid a week. Choosing a password changes the hash, so a link works once;
nothing needs to be stored.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.ext.asyncio import AsyncSession

from tenantry.core.errors import FieldError, ValidationFailed
from tenantry.core.identity import service as identity
from tenantry.core.identity.models import User
from tenantry.core.identity.passwords import hash_password
from tenantry.core.mail import OutgoingMail
from tenantry.core.mail_jobs import enqueue_mail
from tenantry.core.platform import Platform
from tenantry.core.tenancy import tenant_session
from tenantry.settings import Settings

ACCEPT_PATH = "/invitation"
MAX_AGE_SECONDS = 7 * 24 * 3600
MIN_PASSWORD = 10
MAX_PASSWORD = 1000
_SALT = "tenantry.identity.invitation"

__all__ = ["ACCEPT_PATH", "MIN_PASSWORD", "Invitee", "accept", "invite", "read"]


@dataclass(frozen=True)
class Invitee:
    tenant_id: int
    user_id: int
    email: str
    name: str


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.effective_secret_key, salt=_SALT)


def _fingerprint(password_hash: str | None) -> str:
    return hashlib.sha256((password_hash or "-").encode()).hexdigest()[:20]


def link_for(settings: Settings, user: User) -> str:
    token = _serializer(settings).dumps(
        {"t": user.tenant_id, "u": user.id, "p": _fingerprint(user.password_hash)}
    )
    return f"{settings.base_url.rstrip('/')}{ACCEPT_PATH}?" + urlencode({"token": token})


async def invite(
    session: AsyncSession,
    settings: Settings,
    *,
    email: str,
    name: str,
    roles: Sequence[str],
    organisation: str,
    invited_by: str,
) -> User:
    """Create the user (no password yet) in the session's tenant and enqueue the mail."""
    user = await identity.create_user(session, email=email, name=name, roles=roles)
    link = link_for(settings, user)
    await enqueue_mail(
        session,
        OutgoingMail(
            to=[user.email],
            subject=f"You are invited to {organisation}",
            text=(
                f"Hello {user.name},\n\n{invited_by} invited you to {organisation} on"
                f" Tenantry. To choose your password and sign in, open this link within a"
                f" week:\n\n{link}\n\nYour organisation id is {user.tenant_id}.\n"
            ),
        ),
        tenant_id=user.tenant_id,
    )
    return user


def _decode(settings: Settings, token: str) -> tuple[int, int, str] | None:
    try:
        data = _serializer(settings).loads(token, max_age=MAX_AGE_SECONDS)
    except BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    tenant_id, user_id, print_ = data.get("t"), data.get("u"), data.get("p")
    if not isinstance(tenant_id, int) or not isinstance(user_id, int):
        return None
    return tenant_id, user_id, str(print_)


async def read(platform: Platform, token: str) -> Invitee | None:
    """Whom a token invites, while it is fresh and unused and the user is active."""
    decoded = _decode(platform.settings, token)
    if decoded is None:
        return None
    tenant_id, user_id, print_ = decoded
    async with tenant_session(platform.sessions, tenant_id) as session:
        user = await session.get(User, (tenant_id, user_id))
        if user is None or not user.active or _fingerprint(user.password_hash) != print_:
            return None
        return Invitee(tenant_id, user_id, user.email, user.name)


async def accept(platform: Platform, token: str, password: str) -> Invitee | None:
    """Set the invitee's first password; ``None`` when the token is no good (checked under a
    row lock, so it works exactly once)."""
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        message = f"A password has {MIN_PASSWORD} to {MAX_PASSWORD} characters."
        raise ValidationFailed(message, [FieldError("password", message)])
    decoded = _decode(platform.settings, token)
    if decoded is None:
        return None
    tenant_id, user_id, print_ = decoded
    async with tenant_session(platform.sessions, tenant_id) as session:
        user = await session.get(User, (tenant_id, user_id), with_for_update=True)
        if user is None or not user.active or _fingerprint(user.password_hash) != print_:
            return None
        user.password_hash = hash_password(password)
        return Invitee(tenant_id, user_id, user.email, user.name)
