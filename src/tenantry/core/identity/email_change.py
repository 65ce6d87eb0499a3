"""Changing a sign-in email: confirmed from the new address, announced to the old one.

The email is where password resets go, so changing it directly would let anyone who can
edit a user (or briefly use their session) take the account over. A change is therefore a
request: a signed link goes to the new address, a notice to the old one, and the sign-in
email stays as it is until the link is followed. The link carries the tenant, the user and
both addresses; it works once (the old address no longer matches afterwards) and for a day.
Confirming also ends the user's web sessions (``User.session_version``).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tenantry.core.base import utcnow
from tenantry.core.identity.models import User
from tenantry.core.mail import OutgoingMail
from tenantry.core.mail_jobs import enqueue_mail
from tenantry.core.tenancy import tenant_session
from tenantry.settings import Settings

__all__ = [
    "CONFIRM_PATH",
    "EmailChange",
    "confirm_email_change",
    "read_email_change",
    "request_email_change",
]

CONFIRM_PATH = "/settings/email/confirm"
TOKEN_MAX_AGE = 24 * 3600
_SALT = "tenantry.identity.email-change"


@dataclass(frozen=True)
class EmailChange:
    tenant_id: int
    user_id: int
    old_email: str
    new_email: str


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.effective_secret_key, salt=_SALT)


async def request_email_change(
    session: AsyncSession, settings: Settings, user: User, new_email: str
) -> None:
    """Mail the confirmation link to ``new_email`` and a notice to the current address, in
    the caller's transaction (core mail outbox); the user's email is left unchanged."""
    token = _serializer(settings).dumps(
        {"t": user.tenant_id, "u": user.id, "from": user.email, "to": new_email}
    )
    link = f"{settings.base_url.rstrip('/')}{CONFIRM_PATH}?" + urlencode({"token": token})
    await enqueue_mail(
        session,
        OutgoingMail(
            to=[new_email],
            subject="Confirm your new sign-in email",
            text=(
                f"Hello {user.name},\n\nSomeone asked to make this address the sign-in email"
                f" of your account. To confirm, open this link within a day:\n\n{link}\n\n"
                "If it was not you, ignore this message: nothing changes without it.\n"
            ),
        ),
        tenant_id=user.tenant_id,
    )
    await enqueue_mail(
        session,
        OutgoingMail(
            to=[user.email],
            subject="Your sign-in email is about to change",
            text=(
                f"Hello {user.name},\n\nSomeone asked to change the sign-in email of your"
                f" account to {new_email}. It changes only once that address confirms.\n"
                "If it was not you, change your password and tell your administrator.\n"
            ),
        ),
        tenant_id=user.tenant_id,
    )


def read_email_change(settings: Settings, token: str) -> EmailChange | None:
    """What a confirmation token asks for, while it is fresh and well signed."""
    try:
        data = _serializer(settings).loads(token, max_age=TOKEN_MAX_AGE)
    except BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    tenant_id, user_id = data.get("t"), data.get("u")
    old, new = data.get("from"), data.get("to")
    if not (type(tenant_id) is int and type(user_id) is int):
        return None
    if not (isinstance(old, str) and isinstance(new, str)):
        return None
    return EmailChange(tenant_id, user_id, old, new)


async def confirm_email_change(
    sessions: async_sessionmaker[AsyncSession], change: EmailChange
) -> bool:
    """Apply a confirmed change; ``False`` when it no longer applies (already used, the email
    changed since, the new address was taken meanwhile, or the user is disabled)."""
    async with tenant_session(sessions, change.tenant_id) as session:
        user = await session.get(User, (change.tenant_id, change.user_id), with_for_update=True)
        if user is None or not user.active or user.email != change.old_email:
            return False
        taken = await session.scalar(
            select(func.count())
            .select_from(User)
            .where(User.tenant_id == change.tenant_id, User.email == change.new_email)
        )
        if taken:
            return False
        user.email = change.new_email
        user.email_verified_at = utcnow()  # following the link proved the address
        user.session_version += 1
    return True
