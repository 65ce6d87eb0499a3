"""Communications: announcements shown to the organisation, and messages sent to people.

An announcement is listed only while enabled (Laravel's ``CanBeEnabled`` global scope);
the ``disabled`` scope finds the others. A missing colour reads as PERSCOM's default blue.

A message is sent by a job on the core queue, enqueued in the transaction that creates it
and run at ``send_at`` (or at once). The job delivers to the recipients (every user of the
tenant when none are named) on each channel: ``mail`` goes through the core mailer (one
mail job per recipient), every other channel (``database``, ``broadcast``, ``sms``,
``discord_*``) is recorded as delivered, since Tenantry has no such transports. Each
delivery is a row of ``perscom_message_deliveries``; the message's ``sent_at`` is set when
the job has run, so a message is sent once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ColumnElement,
    Index,
    String,
    Text,
    false,
    select,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from tenantry.core.base import Base, TenantOwned, tenant_fk, utcnow
from tenantry.core.errors import FieldError
from tenantry.core.identity.models import User
from tenantry.core.jobs import JobContext, enqueue, job_handlers
from tenantry.core.mail import OutgoingMail
from tenantry.core.mail_jobs import enqueue_mail
from tenantry.core.resources.scoped import of_tenant
from tenantry.perscom.engine.context import Call
from tenantry.perscom.engine.declaration import (
    Computed,
    NamedScope,
    RenderContext,
    Resource,
    ResourceRules,
    Rule,
)
from tenantry.perscom.engine.problems import failure
from tenantry.perscom.engine.runtime import Compiled
from tenantry.perscom.resources.common import HEX_COLOR, REQUIRED, STAMPS, models

DEFAULT_COLOR = "#2563eb"


class Announcement(TenantOwned, Base):
    __tablename__ = "perscom_announcements"

    title: Mapped[str] = mapped_column(String(255))
    content: Mapped[str] = mapped_column(Text)
    color: Mapped[str | None] = mapped_column(String(255), default=None)
    # ``global`` is a Python keyword: the attribute is set by name, so the engine (which
    # writes attributes named after their columns) can fill it like any other.
    locals()["global"] = mapped_column("global", Boolean, default=False, nullable=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)


def enabled_only(resource: Compiled) -> ColumnElement[bool]:
    return resource.columns["enabled"] == true()


def _enabled(resource: Compiled, _params: Sequence[Any]) -> ColumnElement[bool]:
    return enabled_only(resource)


def _disabled(resource: Compiled, _params: Sequence[Any]) -> ColumnElement[bool]:
    return resource.columns["enabled"] == false()


def _color(row: Mapping[str, Any], _context: RenderContext) -> str:
    return str(row["color"] or DEFAULT_COLOR)


announcements = Resource(
    name="announcements",
    model=Announcement,
    label="Announcement",
    permission="announcement",
    morph_type=models("Announcement"),
    writable=("title", "content", "color", "global", "enabled", "expires_at", *STAMPS),
    rules={
        "title": REQUIRED,
        "content": REQUIRED,
        "color": Rule(pattern=HEX_COLOR.pattern),
    },
    computed=(Computed("color", _color, {"type": "string"}),),
    searchable=("title", "content"),
    scopes=(
        NamedScope("enabled", _enabled, lifts_default=True),
        NamedScope("disabled", _disabled, lifts_default=True),
    ),
    default_filter=enabled_only,
    spec_description=(
        "Only enabled announcements are listed unless a search names the `disabled` (or "
        "`enabled`) scope; a missing `color` reads `#2563eb`."
    ),
)

# -- messages ----------------------------------------------------------------------------

CHANNELS = ("broadcast", "database", "discord_private", "discord_public", "mail", "sms")
SEND_JOB = "perscom.message.send"


class Message(TenantOwned, Base):
    __tablename__ = "perscom_messages"

    message: Mapped[str] = mapped_column(Text)
    channels: Mapped[list[str]] = mapped_column(JSON)
    recipients: Mapped[list[int] | None] = mapped_column(JSON, default=None)
    repeats: Mapped[bool] = mapped_column(Boolean, default=False)
    send_at: Mapped[datetime | None] = mapped_column(default=None)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)


class MessageDelivery(TenantOwned, Base):
    """One message delivered to one user on one channel (written by the send job)."""

    __tablename__ = "perscom_message_deliveries"
    __table_args__ = (
        tenant_fk(["message_id"], "perscom_messages", ondelete="CASCADE"),
        tenant_fk(["user_id"], "users", ondelete="CASCADE"),
        Index("ix_perscom_message_deliveries_message", "tenant_id", "message_id"),
    )

    message_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int] = mapped_column(BigInteger)
    channel: Mapped[str] = mapped_column(String(32))


class MessageRules(ResourceRules):
    """Known channels, recipients among the tenant's users; a new unsent message queues
    its send job in the same transaction (so a rolled-back request sends nothing)."""

    async def before_create(self, call: Call, values: dict[str, Any]) -> None:
        await _check_message(call, values)

    async def after_create(self, call: Call, row_id: int, values: Mapping[str, Any]) -> None:
        if values.get("sent_at") is None:
            await _queue_send(call, row_id, values.get("send_at"))

    async def before_update(self, call: Call, row_id: int, values: dict[str, Any]) -> None:
        await _check_message(call, values)
        if values.get("send_at") is not None:
            await _queue_send(call, row_id, values["send_at"])


async def _check_message(call: Call, values: dict[str, Any]) -> None:
    errors: list[FieldError] = []
    if "channels" in values:
        channels = values["channels"]
        if isinstance(channels, str):
            channels = values["channels"] = [channels]
        if (
            not isinstance(channels, list)
            or not channels
            or not all(isinstance(c, str) for c in channels)
        ):
            errors.append(FieldError("channels", "The channels field is required."))
        elif any(c not in CHANNELS for c in channels):
            errors.append(FieldError("channels", "The selected channels is invalid."))
        else:
            values["channels"] = list(dict.fromkeys(channels))
    recipients = values.get("recipients")
    if recipients is not None:
        valid = isinstance(recipients, list) and all(
            isinstance(r, int) and not isinstance(r, bool) and 0 < r < 2**63 for r in recipients
        )
        if not valid:
            errors.append(FieldError("recipients", "The recipients must be an array of user ids."))
        else:
            wanted = set(recipients)
            found = set(
                await call.conn.scalars(
                    select(User.id).where(of_tenant(User, call.tenant_id), User.id.in_(wanted))
                )
            )
            if found != wanted:
                errors.append(FieldError("recipients", "The selected recipients is invalid."))
            values["recipients"] = sorted(wanted)
    if errors:
        raise failure(errors)


async def _queue_send(call: Call, message_id: int, send_at: datetime | None) -> None:
    run_at = send_at if send_at is not None and send_at > utcnow() else None
    await enqueue(
        call.session,
        SEND_JOB,
        {"message_id": message_id},
        tenant_id=call.tenant_id,
        run_at=run_at,
    )


@job_handlers.register(SEND_JOB)
async def send_message(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Deliver one message, once: a sent, deleted or not-yet-due message is skipped (a
    later ``send_at`` has its own job)."""
    session = ctx.session
    tenant_id = ctx.tenant_id
    message = await session.get(Message, (tenant_id, int(payload["message_id"])))
    if message is None or message.sent_at is not None:
        return
    now = utcnow()
    if message.send_at is not None and message.send_at > now:
        return
    users = select(User.id, User.email).where(of_tenant(User, tenant_id))
    if message.recipients:
        users = users.where(User.id.in_(message.recipients))
    people = (await session.execute(users.order_by(User.id))).all()
    for channel in message.channels:
        for user_id, address in people:
            if channel == "mail":
                await enqueue_mail(
                    session,
                    OutgoingMail(to=[address], subject="New message", text=message.message),
                    tenant_id=tenant_id,
                )
            session.add(MessageDelivery(message_id=message.id, user_id=user_id, channel=channel))
    message.sent_at = now
    await session.flush()


messages = Resource(
    name="messages",
    model=Message,
    label="Message",
    permission="message",
    event="message",
    morph_type=models("Message"),
    writable=("message", "channels", "recipients", "repeats", "send_at", "sent_at", *STAMPS),
    rules={
        "message": Rule(required=True, max_length=255),
        "channels": REQUIRED,
    },
    searchable=("message",),
    service=MessageRules(),
    spec_description=(
        "Creating an unsent message queues its delivery for `send_at` (or now): `mail` "
        "mails each recipient, other channels are recorded as delivered; `sent_at` is set "
        "once it has gone out. No recipients means every user."
    ),
)

DECLARATIONS = (announcements, messages)
