"""Inviting someone by email: the user is created without a password, and a mail (through
the job queue, in the same transaction) carries a signed link to choose one.

The link is a :class:`~tenantry.core.identity.password_links.PasswordLink` valid a week:
choosing the password spends it.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from tenantry.core.errors import FieldError, ValidationFailed
from tenantry.core.identity import service as identity
from tenantry.core.identity.models import User
from tenantry.core.identity.password_links import LinkHolder, PasswordLink
from tenantry.core.identity.passwords import hash_password
from tenantry.core.mail import OutgoingMail
from tenantry.core.mail_jobs import enqueue_mail
from tenantry.core.platform import Platform
from tenantry.settings import Settings

ACCEPT_PATH = "/invitation"
MAX_AGE_SECONDS = 7 * 24 * 3600
MIN_PASSWORD = 10
MAX_PASSWORD = 1000
INVITATION = PasswordLink("tenantry.identity.invitation", MAX_AGE_SECONDS, ACCEPT_PATH)

__all__ = ["ACCEPT_PATH", "MIN_PASSWORD", "Invitee", "accept", "invite", "read"]


Invitee = LinkHolder


def link_for(settings: Settings, user: User) -> str:
    return INVITATION.url(settings, user)


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


async def read(platform: Platform, token: str) -> Invitee | None:
    """Whom a token invites, while it is fresh and unused and the user is active."""
    return await INVITATION.holder(platform, token)


async def accept(platform: Platform, token: str, password: str) -> Invitee | None:
    """Set the invitee's first password; ``None`` when the token is no good (checked under a
    row lock, so it works exactly once)."""
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        message = f"A password has {MIN_PASSWORD} to {MAX_PASSWORD} characters."
        raise ValidationFailed(message, [FieldError("password", message)])
    async with INVITATION.redeem(platform, token) as user:
        if user is None:
            return None
        user.password_hash = hash_password(password)
        return Invitee(user.tenant_id, user.id, user.email, user.name)
