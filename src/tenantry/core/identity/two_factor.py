"""Two-factor authentication with TOTP (RFC 6238) and one-time recovery codes.

Functions take the tenant-scoped session first; the caller owns the transaction. A code is
accepted for the current 30-second step and one step either side (clock drift), never twice:
the accepted step is remembered and older or equal steps are refused afterwards.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

import pyotp
import segno
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tenantry.core.base import utcnow
from tenantry.core.identity.models import RecoveryCode, TwoFactor
from tenantry.core.sealing import SecretBox

RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i look-alikes

__all__ = [
    "begin_enrolment",
    "confirm_enrolment",
    "enrolment_of",
    "is_enabled",
    "provisioning_qr",
    "remove",
    "verify_code",
    "verify_totp",
]


async def enrolment_of(session: AsyncSession, user_id: int) -> TwoFactor | None:
    return await session.scalar(select(TwoFactor).where(TwoFactor.user_id == user_id))


async def is_enabled(session: AsyncSession, user_id: int) -> bool:
    row = await enrolment_of(session, user_id)
    return row is not None and row.confirmed_at is not None


async def begin_enrolment(session: AsyncSession, box: SecretBox, user_id: int) -> str:
    """Create (or keep) an unconfirmed seed and return it; an enabled one is never replaced."""
    row = await enrolment_of(session, user_id)
    if row is not None and row.confirmed_at is not None:
        raise ValueError("two-factor authentication is already enabled")
    if row is None:
        seed = pyotp.random_base32()
        session.add(TwoFactor(user_id=user_id, secret_sealed=box.seal(seed)))
        await session.flush()
        return seed
    return box.open(row.secret_sealed)


def provisioning_qr(seed: str, account: str, issuer: str) -> str:
    """An SVG data URI of the ``otpauth://`` URI, for authenticator apps to scan."""
    uri = pyotp.TOTP(seed).provisioning_uri(name=account, issuer_name=issuer)
    return str(segno.make(uri, error="m").svg_data_uri(scale=5, border=2))


def _accepted_step(seed: str, code: str, last_used_step: int | None, now: datetime) -> int | None:
    code = code.strip().replace(" ", "")
    if not (len(code) == 6 and code.isdigit()):
        return None
    totp = pyotp.TOTP(seed)
    current = totp.timecode(now)
    for step in (current - 1, current, current + 1):
        if last_used_step is not None and step <= last_used_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


async def verify_totp(session: AsyncSession, box: SecretBox, user_id: int, code: str) -> bool:
    """Whether ``code`` is a fresh, right TOTP code of an enabled enrolment (marks it used)."""
    row = await enrolment_of(session, user_id)
    if row is None or row.confirmed_at is None:
        return False
    step = _accepted_step(box.open(row.secret_sealed), code, row.last_used_step, utcnow())
    if step is None:
        return False
    row.last_used_step = step
    await session.flush()
    return True


async def verify_code(session: AsyncSession, box: SecretBox, user_id: int, code: str) -> bool:
    """A TOTP code, or else an unused recovery code (which is then spent)."""
    if await verify_totp(session, box, user_id, code):
        return True
    normalised = _normalise_recovery(code)
    if len(normalised) != 10:
        return False
    result = await session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user_id,
            RecoveryCode.code_hash == _hash(normalised),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def confirm_enrolment(
    session: AsyncSession, box: SecretBox, user_id: int, code: str
) -> list[str] | None:
    """Enable two-factor when ``code`` matches the pending seed; returns fresh recovery codes."""
    row = await enrolment_of(session, user_id)
    if row is None or row.confirmed_at is not None:
        return None
    step = _accepted_step(box.open(row.secret_sealed), code, row.last_used_step, utcnow())
    if step is None:
        return None
    row.confirmed_at = utcnow()
    row.last_used_step = step
    await session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    for text in codes:
        session.add(RecoveryCode(user_id=user_id, code_hash=_hash(_normalise_recovery(text))))
    await session.flush()
    return codes


async def remove(session: AsyncSession, user_id: int) -> None:
    """Turn two-factor off (the caller has checked a current code first)."""
    await session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    await session.execute(delete(TwoFactor).where(TwoFactor.user_id == user_id))


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def _normalise_recovery(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
