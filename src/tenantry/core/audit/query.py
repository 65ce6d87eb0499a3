"""Reading the log: the filters every reader shares (CLI and both faces), and one page.

Filters arrive as text (a command-line option, a query parameter) and are parsed here once,
so a bad one is refused with the same one-line message wherever it came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tenantry.core.audit.models import AuditEntry
from tenantry.core.errors import FieldError, ValidationFailed

__all__ = ["Filters", "count", "entry_dict", "page", "parse_filters"]


@dataclass(frozen=True)
class Filters:
    since: datetime | None = None
    until: datetime | None = None
    """Exclusive: a bare date ``until`` is the start of the day after it."""
    actor_user_id: int | None = None
    credential: str | None = None
    resource_type: str | None = None
    resource_id: str | None = None


def _refuse(key: str, value: str, message: str) -> ValidationFailed:
    return ValidationFailed(
        f"bad audit filter {key}={value!r}: {message}", [FieldError(key, message, value)]
    )


def _moment(key: str, value: str, *, day_after: bool = False) -> datetime:
    """An ISO time, or an ISO date meaning its start (or, with ``day_after``, its end)."""
    text = value.strip()
    try:
        day = date.fromisoformat(text)
    except ValueError:
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise _refuse(key, value, "not an ISO 8601 date or time") from None
    else:
        moment = datetime(day.year, day.month, day.day) + timedelta(days=1 if day_after else 0)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_filters(
    since: str | None = None,
    actor: str | None = None,
    resource: str | None = None,
    until: str | None = None,
) -> Filters:
    """``since``/``until``: ISO date or time (a date ``until`` includes that whole day);
    ``actor``: a user id or a credential (``api_key:12``, ``cli``); ``resource``: a table
    name, optionally ``:id`` (``users:42``)."""
    actor_user_id: int | None = None
    credential: str | None = None
    if actor is not None:
        text = actor.strip()
        if text.isdigit():
            actor_user_id = int(text)
        elif text and len(text) <= 100 and all(c.isalnum() or c in "_:-" for c in text):
            credential = text
        else:
            raise _refuse("actor", actor, "expected a user id or a credential such as api_key:12")
    resource_type: str | None = None
    resource_id: str | None = None
    if resource is not None:
        kind, _, key = resource.strip().partition(":")
        if not kind or not all(c.isalnum() or c == "_" for c in kind) or len(kind) > 100:
            raise _refuse("resource", resource, "expected a resource type, optionally type:id")
        resource_type, resource_id = kind, (key or None)
    start = _moment("since", since) if since is not None else None
    end = _moment("until", until, day_after=True) if until is not None else None
    if start is not None and end is not None and end <= start:
        raise _refuse("until", until or "", "must be later than since")
    return Filters(
        since=start,
        until=end,
        actor_user_id=actor_user_id,
        credential=credential,
        resource_type=resource_type,
        resource_id=resource_id,
    )


def _select(tenant_id: int, filters: Filters) -> Select[Any]:
    statement = select(AuditEntry).where(AuditEntry.tenant_id == tenant_id)
    if filters.since is not None:
        statement = statement.where(AuditEntry.at >= filters.since)
    if filters.until is not None:
        statement = statement.where(AuditEntry.at < filters.until)
    if filters.actor_user_id is not None:
        statement = statement.where(AuditEntry.actor_user_id == filters.actor_user_id)
    if filters.credential is not None:
        statement = statement.where(AuditEntry.credential == filters.credential)
    if filters.resource_type is not None:
        statement = statement.where(AuditEntry.resource_type == filters.resource_type)
    if filters.resource_id is not None:
        statement = statement.where(AuditEntry.resource_id == filters.resource_id)
    return statement


async def page(
    session: AsyncSession, tenant_id: int, filters: Filters, *, offset: int, limit: int
) -> list[AuditEntry]:
    """Entries matching ``filters``, newest first."""
    statement = _select(tenant_id, filters).order_by(AuditEntry.seq.desc())
    return list(await session.scalars(statement.offset(offset).limit(limit)))


async def count(session: AsyncSession, tenant_id: int, filters: Filters) -> int:
    statement = _select(tenant_id, filters).with_only_columns(func.count()).order_by(None)
    return int((await session.execute(statement)).scalar_one())


def entry_dict(entry: AuditEntry) -> dict[str, Any]:
    """The wire and JSON-lines shape of an entry (the same on every reader)."""
    return {
        "id": entry.id,
        "seq": entry.seq,
        "at": entry.at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "actor": {"user_id": entry.actor_user_id, "credential": entry.credential},
        "action": entry.action,
        "resource_type": entry.resource_type,
        "resource_id": entry.resource_id,
        "changes": entry.changes,
        "related": entry.related,
        "request_id": entry.request_id,
        "address": entry.address,
        "hash": entry.hash,
        "prev_hash": entry.prev_hash,
    }
