"""The newsfeed: one activity row per record written, and the people who liked it.

PERSCOM writes these from its record observers (an activity log named ``newsfeed``);
here the record's rules call :func:`post_activity` in the transaction that writes the
record, so a record and its feed item exist together or not at all. The feed's own list
has a custom shape (``perscom/newsfeed.py``); ``newsfeed/{id}/likes`` is an ordinary
many-to-many to users, served by the engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import BigInteger, Index, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from tenantry.core.base import Base, TenantOwned, tenant_fk
from tenantry.core.identity.models import User
from tenantry.core.resources.scoped import same_tenant
from tenantry.perscom.engine.context import Call
from tenantry.perscom.engine.declaration import BelongsToMany, Resource
from tenantry.perscom.resources.common import models


class NewsfeedItem(TenantOwned, Base):
    __tablename__ = "perscom_newsfeed"
    __table_args__ = (
        tenant_fk(["author_id"], "users"),
        tenant_fk(["recipient_id"], "users", ondelete="CASCADE"),
        Index("ix_perscom_newsfeed_newest", "tenant_id", "created_at", "id"),
        Index("ix_perscom_newsfeed_recipient", "tenant_id", "recipient_id"),
    )

    author_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    recipient_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    subject_type: Mapped[str] = mapped_column(String(255))
    subject_id: Mapped[int] = mapped_column(BigInteger)
    description: Mapped[str] = mapped_column(String(255))
    event: Mapped[str] = mapped_column(String(32))
    type: Mapped[str] = mapped_column(String(64))
    headline: Mapped[str] = mapped_column(String(255))
    text: Mapped[str | None] = mapped_column(Text, default=None)
    item: Mapped[str | None] = mapped_column(String(255), default=None)
    color: Mapped[str | None] = mapped_column(String(32), default=None)


class NewsfeedLike(TenantOwned, Base):
    __tablename__ = "perscom_newsfeed_likes"
    __table_args__ = (
        tenant_fk(["newsfeed_id"], "perscom_newsfeed", ondelete="CASCADE"),
        tenant_fk(["user_id"], "users", ondelete="CASCADE"),
        UniqueConstraint("tenant_id", "newsfeed_id", "user_id"),
    )

    newsfeed_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int] = mapped_column(BigInteger)


LIKES = Base.metadata.tables["perscom_newsfeed_likes"]

COLORS = {
    "assignment_record": "#2563eb",
    "award_record": "#ca8a04",
    "combat_record": "#dc2626",
    "qualification_record": "#16a34a",
    "rank_record": "#7c3aed",
    "service_record": "#0891b2",
}
"""The accent a widget draws an item of each kind with."""

newsfeed = Resource(
    name="newsfeed",
    model=NewsfeedItem,
    label="Newsfeed",
    permission="newsfeed",
    morph_type=models("Newsfeed"),
    writable=(),
    relations=(BelongsToMany("likes", "users", LIKES, "newsfeed_id", "user_id"),),
    includes=("likes",),
    default_sort=(("created_at", "desc"), ("id", "desc")),
    only=(),
    nested=("likes",),
    nested_only=("index", "attach", "detach", "sync"),
    spec_description="Who liked a newsfeed item: attach, detach and sync user ids.",
)

DECLARATIONS = (newsfeed,)


def activity(
    *,
    label: str,
    record_id: int,
    values: Mapping[str, Any],
    author_id: int | None,
    recipient: str | None,
    item: str | None,
) -> NewsfeedItem:
    """The ``created`` item of a record of kind ``label`` (``Award Record``)."""
    kind = label.lower().replace(" ", "_")
    headline = f"{label} for {recipient}" if recipient else label
    return NewsfeedItem(
        author_id=author_id,
        recipient_id=values.get("user_id"),
        subject_type=models(label.replace(" ", "")),
        subject_id=record_id,
        description=f"A new {label.lower()} has been added",
        event="created",
        type=kind,
        headline=headline[:255],
        text=values.get("text"),
        item=item,
        color=COLORS.get(kind),
        created_at=values.get("created_at"),
        updated_at=values.get("created_at"),
    )


async def post_activity(
    call: Call,
    *,
    label: str,
    record_id: int,
    values: Mapping[str, Any],
    item: str | None,
) -> None:
    """Write the feed item of a record, in the record's transaction."""
    recipient = await call.conn.scalar(
        select(User.name).where(same_tenant(User, call), User.id == values.get("user_id"))
    )
    call.session.add(
        activity(
            label=label,
            record_id=record_id,
            values=values,
            author_id=call.principal.user_id,
            recipient=recipient,
            item=item,
        )
    )
    await call.session.flush()
