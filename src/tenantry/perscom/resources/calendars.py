"""Calendars and their events: dates, repeating schedules and registrations.

A repeating event carries an RFC 5545 recurrence rule (``rrule``, e.g.
``FREQ=WEEKLY;BYDAY=MO,WE``). PERSCOM edits schedules in its dashboard only; Tenantry takes
the rule on the event itself and keeps the event's ``schedule`` row (``?include=schedule``)
in step with it: the rule, its pieces and the next occurrences. Occurrences are expanded
with python-dateutil inside a bounded window, so a rule that never ends costs no more than
one that does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from dateutil.rrule import DAILY, MONTHLY, WEEKLY, YEARLY, rrule, rrulestr
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ColumnElement,
    Index,
    String,
    Text,
    and_,
    delete,
    exists,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from tenantry.core.base import Base, TenantOwned, tenant_fk
from tenantry.core.errors import FieldError
from tenantry.core.resources.scoped import of_tenant
from tenantry.perscom.engine.context import Call
from tenantry.perscom.engine.declaration import (
    BelongsTo,
    BelongsToMany,
    Computed,
    HasMany,
    MorphOne,
    NamedScope,
    RenderContext,
    Resource,
)
from tenantry.perscom.engine.problems import failure
from tenantry.perscom.engine.runtime import Compiled, parse_datetime
from tenantry.perscom.resources.common import HEX_COLOR, REQUIRED, STAMPS, models
from tenantry.perscom.resources.discussion import DISCUSSION_INCLUDES, discussed
from tenantry.perscom.resources.documents import Authored
from tenantry.perscom.resources.tags import tags_of, tags_scope

EVENT_TYPE = models("Event")
NOTIFICATION_INTERVALS = ("PT0M", "PT15M", "PT1H", "P1D", "P1W")
NOTIFICATION_CHANNELS = (
    "broadcast",
    "database",
    "discord_private",
    "discord_public",
    "mail",
    "sms",
)
FREQUENCIES = {DAILY: "DAILY", WEEKLY: "WEEKLY", MONTHLY: "MONTHLY", YEARLY: "YEARLY"}
"""Events repeat at most daily: finer rules are refused, so expansion stays cheap."""
WINDOW = timedelta(days=366)
"""How far ahead ``schedule.occurrences`` looks (a rule without an end is cut here)."""
MAX_OCCURRENCES = 10
MAX_COUNT = 1000


class Calendar(TenantOwned, Base):
    __tablename__ = "perscom_calendars"

    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text, default=None)
    color: Mapped[str] = mapped_column(String(255))


class Event(TenantOwned, Base):
    __tablename__ = "perscom_events"
    __table_args__ = (
        tenant_fk(["calendar_id"], "perscom_calendars", ondelete="CASCADE"),
        tenant_fk(["author_id"], "users"),
        Index("ix_perscom_events_calendar", "tenant_id", "calendar_id"),
        Index("ix_perscom_events_starts", "tenant_id", "starts"),
    )

    name: Mapped[str] = mapped_column(String(255))
    calendar_id: Mapped[int] = mapped_column(BigInteger)
    description: Mapped[str | None] = mapped_column(Text, default=None)
    content: Mapped[str | None] = mapped_column(Text, default=None)
    location: Mapped[str | None] = mapped_column(Text, default=None)
    url: Mapped[str | None] = mapped_column(String(255), default=None)
    author_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    all_day: Mapped[bool] = mapped_column(Boolean, default=False)
    starts: Mapped[datetime] = mapped_column()
    ends: Mapped[datetime] = mapped_column()
    repeats: Mapped[bool] = mapped_column(Boolean, default=False)
    rrule: Mapped[str | None] = mapped_column(String(255), default=None)
    registration_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    registration_deadline: Mapped[datetime | None] = mapped_column(default=None)
    notifications_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    notifications_interval: Mapped[list[str] | None] = mapped_column(JSON, default=None)
    notifications_channels: Mapped[list[str] | None] = mapped_column(JSON, default=None)


class EventRegistration(TenantOwned, Base):
    """A user registered for an event (PERSCOM's ``events_registrations`` pivot)."""

    __tablename__ = "perscom_events_registrations"
    __table_args__ = (
        tenant_fk(["event_id"], "perscom_events", ondelete="CASCADE"),
        tenant_fk(["user_id"], "users", ondelete="CASCADE"),
        Index("ix_perscom_events_registrations_event", "tenant_id", "event_id"),
        Index("ix_perscom_events_registrations_user", "tenant_id", "user_id"),
    )

    event_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int] = mapped_column(BigInteger)


class Schedule(TenantOwned, Base):
    """The recurrence of a repeating row (an event), derived from the row's ``rrule``."""

    __tablename__ = "perscom_schedules"
    __table_args__ = (Index("ix_perscom_schedules_model", "tenant_id", "model_type", "model_id"),)

    model_type: Mapped[str] = mapped_column(String(255))
    model_id: Mapped[int] = mapped_column(BigInteger)
    start: Mapped[datetime] = mapped_column()
    duration: Mapped[int] = mapped_column(BigInteger, default=0)
    """Seconds each occurrence lasts (the event's ``ends - starts``)."""
    rrule: Mapped[str] = mapped_column(String(255))
    until: Mapped[datetime | None] = mapped_column(default=None)
    """The rule's ``UNTIL``; ``None`` for a rule bounded by ``COUNT`` or not at all."""


REGISTRATIONS = Base.metadata.tables["perscom_events_registrations"]
SCHEDULES = Base.metadata.tables["perscom_schedules"]
EVENTS = Base.metadata.tables["perscom_events"]

# -- recurrence --------------------------------------------------------------------------


@dataclass(frozen=True)
class Recurrence:
    """A parsed rule and the pieces a schedule shows (dateutil keeps them private)."""

    rule: rrule
    frequency: str
    interval: int
    count: int | None
    until: datetime | None


def parse_rule(text: str, start: datetime) -> Recurrence:
    """The rule of ``text`` anchored at ``start``; 422 when it is not one events can use."""
    body = text.strip()
    if body.upper().startswith("RRULE:"):
        body = body[6:]
    if not body or "DTSTART" in body.upper() or "\n" in body:
        raise _bad_rule("The rrule must be a single RRULE without DTSTART.")
    try:
        rule = rrulestr(body, dtstart=start)
    except (ValueError, TypeError, KeyError, IndexError, OverflowError):
        raise _bad_rule("The rrule is not a valid recurrence rule.") from None
    if not isinstance(rule, rrule):
        raise _bad_rule("The rrule is not a valid recurrence rule.")
    pieces: dict[str, Any] = {
        k: getattr(rule, f"_{k}") for k in ("freq", "interval", "count", "until")
    }
    if pieces["freq"] not in FREQUENCIES:
        raise _bad_rule("The rrule frequency must be DAILY, WEEKLY, MONTHLY or YEARLY.")
    count: int | None = pieces["count"]
    if count is not None and not 0 < count <= MAX_COUNT:
        raise _bad_rule(f"The rrule COUNT must be between 1 and {MAX_COUNT}.")
    if not 0 < pieces["interval"] <= 1000:
        raise _bad_rule("The rrule INTERVAL must be between 1 and 1000.")
    return Recurrence(
        rule, FREQUENCIES[pieces["freq"]], int(pieces["interval"]), count, pieces["until"]
    )


def _bad_rule(message: str) -> Exception:
    return failure([FieldError("rrule", message)])


def occurrences(
    recurrence: Recurrence, after: datetime, limit: int = MAX_OCCURRENCES
) -> list[datetime]:
    """At most ``limit`` occurrences from ``after`` to ``after + WINDOW``.

    The rule is cut at the window's end before it is walked, so a rule that never ends, or
    one whose days never occur (``BYMONTH=2;BYMONTHDAY=31``), stops there.
    """
    end = after + WINDOW
    bounded = recurrence.rule  # COUNT (at most MAX_COUNT) bounds the walk already
    if recurrence.count is None:
        until = recurrence.until
        bounded = bounded.replace(until=min(until, end) if until is not None else end)
    found: list[datetime] = []
    for moment in bounded.xafter(after, inc=True):
        if moment > end or len(found) >= limit:
            break
        found.append(moment)
    return found


def _recurrence(row: Mapping[str, Any]) -> Recurrence | None:
    try:
        return parse_rule(str(row["rrule"]), parse_datetime(row["start"]))
    except Exception:  # a stored rule was valid when written; never fail a read
        return None


def _upcoming(row: Mapping[str, Any], context: RenderContext) -> list[str]:
    recurrence = _recurrence(row)
    if recurrence is None:
        return []
    now = datetime.fromtimestamp(context.now_epoch, UTC)
    return [_iso(m) for m in occurrences(recurrence, now)]


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def _piece(name: str) -> Any:
    def compute(row: Mapping[str, Any], _context: RenderContext) -> Any:
        recurrence = _recurrence(row)
        return getattr(recurrence, name) if recurrence is not None else None

    return compute


def _next(row: Mapping[str, Any], context: RenderContext) -> str | None:
    upcoming = _upcoming(row, context)
    return upcoming[0] if upcoming else None


STRING_OR_NULL = {"type": ["string", "null"]}
INT_OR_NULL = {"type": ["integer", "null"]}

schedules = Resource(
    name="schedules",
    model=Schedule,
    label="Schedule",
    permission="event",
    morph_type=models("Schedule"),
    writable=(),
    computed=(
        Computed("frequency", _piece("frequency"), STRING_OR_NULL),
        Computed("interval", _piece("interval"), INT_OR_NULL),
        Computed("count", _piece("count"), INT_OR_NULL),
        Computed("next_occurrence", _next, STRING_OR_NULL),
        Computed(
            "occurrences",
            _upcoming,
            {"type": "array", "items": {"type": "string", "format": "date-time"}},
        ),
    ),
    routed=False,
)

# -- events ------------------------------------------------------------------------------


class EventRules(Authored):
    """Ends after starts, known notification values, a usable rule for a repeating event;
    the event's schedule row follows its rule in the same transaction."""

    async def before_create(self, call: Call, values: dict[str, Any]) -> None:
        _check(values)
        await super().before_create(call, values)

    async def after_create(self, call: Call, row_id: int, values: Mapping[str, Any]) -> None:
        await _write_schedule(call, row_id, values)

    async def before_update(self, call: Call, row_id: int, values: dict[str, Any]) -> None:
        current = (
            (
                await call.conn.execute(
                    select(EVENTS).where(of_tenant(EVENTS, call.tenant_id), EVENTS.c.id == row_id)
                )
            )
            .mappings()
            .one()
        )
        merged = {**current, **values}
        _check(merged)
        await _write_schedule(call, row_id, merged)

    async def after_delete(self, call: Call, row: Mapping[str, Any]) -> None:
        await _clear_schedule(call, int(row["id"]))


def _check(values: Mapping[str, Any]) -> None:
    errors: list[FieldError] = []
    starts, ends = values.get("starts"), values.get("ends")
    if isinstance(starts, datetime) and isinstance(ends, datetime) and ends <= starts:
        errors.append(FieldError("ends", "The ends field must be a date after starts."))
    for key, allowed in (
        ("notifications_interval", NOTIFICATION_INTERVALS),
        ("notifications_channels", NOTIFICATION_CHANNELS),
    ):
        value = values.get(key)
        if value is None:
            continue
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            errors.append(FieldError(key, f"The {key.replace('_', ' ')} must be an array."))
        elif any(v not in allowed for v in value):
            errors.append(FieldError(key, f"The selected {key.replace('_', ' ')} is invalid."))
    if values.get("repeats") and not values.get("rrule"):
        errors.append(FieldError("rrule", "The rrule field is required when repeats is true."))
    if errors:
        raise failure(errors)
    if values.get("rrule") and isinstance(starts, datetime):
        parse_rule(str(values["rrule"]), starts)


async def _clear_schedule(call: Call, event_id: int) -> None:
    await call.conn.execute(
        delete(SCHEDULES).where(
            of_tenant(SCHEDULES, call.tenant_id),
            SCHEDULES.c.model_type == EVENT_TYPE,
            SCHEDULES.c.model_id == event_id,
        )
    )


async def _write_schedule(call: Call, event_id: int, values: Mapping[str, Any]) -> None:
    """Replace the event's schedule by one derived from its current rule (none if it
    does not repeat)."""
    await _clear_schedule(call, event_id)
    if not values.get("repeats") or not values.get("rrule"):
        return
    call.session.add(schedule_for(event_id, values["starts"], values["ends"], str(values["rrule"])))
    await call.session.flush()


def schedule_for(event_id: int, starts: datetime, ends: datetime, text: str) -> Schedule:
    """The schedule row of a repeating event (``text`` already checked by ``parse_rule``)."""
    until = parse_rule(text, starts).until
    return Schedule(
        model_type=EVENT_TYPE,
        model_id=event_id,
        start=starts,
        duration=int((ends - starts).total_seconds()),
        rrule=text.strip().removeprefix("RRULE:"),
        until=until.astimezone(UTC) if until is not None and until.tzinfo else until,
    )


def _moment(value: Any, key: str) -> datetime:
    parsed = parse_datetime(value)
    if not isinstance(parsed, datetime):
        raise failure([FieldError(key, f"The {key} must be a valid date.")])
    return parsed


def _date_period(resource: Compiled, params: Sequence[Any]) -> ColumnElement[bool]:
    """Events happening between two dates: overlapping once, or repeating into it."""
    if len(params) != 2:
        raise failure([FieldError("scopes", "The datePeriod scope takes a start and an end.")])
    start = _moment(params[0], "scopes.parameters.0")
    end = _moment(params[1], "scopes.parameters.1")
    columns = resource.columns
    repeating = exists().where(
        of_tenant(SCHEDULES, resource.tenant_col),
        SCHEDULES.c.model_type == EVENT_TYPE,
        SCHEDULES.c.model_id == resource.id_col,
        or_(SCHEDULES.c.until.is_(None), SCHEDULES.c.until >= start),
    )
    once = and_(columns["starts"] <= end, columns["ends"] >= start)
    return or_(once, and_(columns["repeats"] == true(), columns["starts"] <= end, repeating))


calendars = Resource(
    name="calendars",
    model=Calendar,
    label="Calendar",
    permission="calendar",
    event="calendar",
    morph_type=models("Calendar"),
    writable=("name", "description", "color", *STAMPS),
    rules={"name": REQUIRED, "color": HEX_COLOR},
    relations=(HasMany("events", "events", "calendar_id"), tags_of(models("Calendar"))),
    includes=("events", "events.author", "tags"),
    scopes=(tags_scope(models("Calendar")),),
    searchable=("name", "description"),
)

EVENT_FIELDS = (
    "name",
    "calendar_id",
    "description",
    "content",
    "location",
    "url",
    "all_day",
    "starts",
    "ends",
    "repeats",
    "rrule",
    "registration_enabled",
    "registration_deadline",
    "notifications_enabled",
    "notifications_interval",
    "notifications_channels",
)

events = Resource(
    name="events",
    model=Event,
    label="Event",
    permission="event",
    event="event",
    morph_type=EVENT_TYPE,
    writable=(*EVENT_FIELDS, *STAMPS),
    rules={
        "name": REQUIRED,
        "calendar_id": REQUIRED,
        "starts": REQUIRED,
        "ends": REQUIRED,
        "all_day": REQUIRED,
    },
    relations=(
        BelongsTo("calendar", "calendars", "calendar_id"),
        BelongsTo("author", "users", "author_id"),
        MorphOne("schedule", "schedules"),
        HasMany("image", "images", "model_id", where=(("model_type", EVENT_TYPE),)),
        BelongsToMany(
            "registrations", "users", REGISTRATIONS, parent_key="event_id", related_key="user_id"
        ),
        *discussed(EVENT_TYPE),
        tags_of(EVENT_TYPE),
    ),
    includes=(
        *DISCUSSION_INCLUDES,
        *("author", "author.*", "calendar", "calendar.*", "image", "registrations", "schedule"),
        "tags",
    ),
    searchable=("name", "description", "content", "location"),
    default_sort=(("starts", "asc"),),
    scopes=(NamedScope("datePeriod", _date_period, max_parameters=2), tags_scope(EVENT_TYPE)),
    nested=("image", "registrations"),
    service=EventRules(),
    spec_description=(
        "A repeating event names its recurrence in `rrule` (RFC 5545, DAILY to YEARLY); "
        "`include=schedule` shows the rule and its next occurrences within a year."
    ),
)

DECLARATIONS = (calendars, events, schedules)
