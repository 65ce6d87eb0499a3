"""The PERSCOM settings an admin has changed, one row per (group, name); anything without a
row (or cleared) keeps the derived value or PERSCOM's default (:mod:`tenantry.perscom.settings`).

Every setting PERSCOM lists is editable but the organisation's name (the tenant's own) and
the SSO key (a secret, never listed): ``EDITABLE`` holds each with its own check, so a row
always holds a value PERSCOM's ``/settings`` can show. Lists are typed comma-separated; an
item that is a number is stored as one (PERSCOM keeps ids as numbers, names as strings).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from zoneinfo import available_timezones

from sqlalchemy import JSON, String, UniqueConstraint, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from tenantry.core.base import Base, TenantOwned
from tenantry.core.errors import FieldError, ValidationFailed
from tenantry.core.identity.service import normalize_email

__all__ = ["EDITABLE", "PerscomSetting", "save_settings", "stored_settings"]


class PerscomSetting(TenantOwned, Base):
    __tablename__ = "perscom_settings"
    __table_args__ = (UniqueConstraint("tenant_id", "group", "name"),)

    group: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(100))
    payload: Mapped[Any] = mapped_column(JSON, nullable=True)


def _email(value: str) -> str | None:
    return normalize_email(value) if value.strip() else None


def _timezone(value: str) -> str:
    if value not in available_timezones():
        raise ValidationFailed(f"{value[:64]!r} is not a time zone (for example Europe/London).")
    return value


def _text(value: str) -> str | None:
    text = value.strip()
    if len(text) > 255:
        raise ValidationFailed("A title has at most 255 characters.")
    return text or None


def _flag(value: str) -> bool:
    """A checkbox: sent (``on``, ``true``, ``1``) when ticked, absent or empty when not."""
    text = value.strip().lower()
    if text not in {"", "on", "true", "1", "false", "0"}:
        raise ValidationFailed(f"{value[:20]!r} is not on or off.")
    return text in {"on", "true", "1"}


def _domain(value: str) -> str | None:
    text = value.strip().lower()
    if not text:
        return None
    if len(text) > 253 or not all(
        part and len(part) <= 63 and part.replace("-", "").isalnum() and part.isascii()
        for part in text.split(".")
    ):
        raise ValidationFailed(f"{value[:64]!r} is not a domain name (for example hq.example.org).")
    return text


def _item(text: str) -> int | str:
    return int(text) if text.isdigit() and len(text) < 19 else text


def _list(value: str) -> list[int | str]:
    items = [part.strip() for part in value.split(",") if part.strip()]
    if len(items) > 100 or any(len(item) > 100 for item in items):
        raise ValidationFailed("A list has at most 100 items of at most 100 characters.")
    return [_item(item) for item in dict.fromkeys(items)]


def _id(value: str) -> int | None:
    text = value.strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 18:
        raise ValidationFailed(f"{value[:20]!r} is not an id (a whole number).")
    return int(text)


EDITABLE: dict[tuple[str, str], Callable[[str], Any]] = {
    ("organization", "email"): _email,
    ("organization", "timezone"): _timezone,
    ("registration", "enabled"): _flag,
    ("registration", "admin_approval_required"): _flag,
    ("registration", "default_roles"): _list,
    ("dashboard", "title"): _text,
    ("dashboard", "subtitle"): _text,
    ("dashboard", "domain"): _domain,
    ("permission", "default_roles"): _list,
    ("permission", "default_permissions"): _list,
    ("fields", "users"): _list,
    ("notifications", "assignment_records"): _list,
    ("notifications", "award_records"): _list,
    ("onboarding", "completed"): _flag,
    ("integration", "single_sign_on_enabled"): _flag,
    ("user", "default_status"): _id,
}
"""The settings the console edits, each with the check that turns form text into a payload."""


async def stored_settings(session: AsyncSession) -> dict[tuple[str, str], Any]:
    """The session tenant's changed settings, by (group, name)."""
    rows = await session.scalars(select(PerscomSetting))
    return {(row.group, row.name): row.payload for row in rows}


async def save_settings(session: AsyncSession, values: Mapping[tuple[str, str], str]) -> None:
    """Check every value first (a 422 naming each bad one), then store them all."""
    checked: dict[tuple[str, str], Any] = {}
    errors: list[FieldError] = []
    for key, text in values.items():
        check = EDITABLE.get(key)
        if check is None:
            raise ValueError(f"{key} is not an editable setting")
        try:
            checked[key] = check(text)
        except ValidationFailed as exc:
            errors.append(FieldError(".".join(key), exc.message, text[:100]))
    if errors:
        raise ValidationFailed("; ".join(e.message for e in errors), errors)
    existing = {(row.group, row.name): row for row in await session.scalars(select(PerscomSetting))}
    for (group, name), payload in checked.items():
        row = existing.get((group, name))
        if payload is None:  # cleared: back to the derived value or PERSCOM's default
            if row is not None:
                await session.delete(row)
        elif row is None:
            session.add(PerscomSetting(group=group, name=name, payload=payload))
        else:
            row.payload = payload
    await session.flush()
