"""Comments and attachments: notes and files hung on any row (a record, an event, a submission).

Both are polymorphic (``model_type``/``model_id`` name the row, checked to exist in the
tenant). An attachment's file is private: ``attachment_url`` is a signed link that
expires, never the object's public address.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import BigInteger, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tenantry.core.base import Base, TenantOwned, tenant_fk
from tenantry.perscom.engine.context import Call
from tenantry.perscom.engine.declaration import (
    BelongsTo,
    Computed,
    FileField,
    HasMany,
    MorphTo,
    Relation,
    RenderContext,
    Resource,
)
from tenantry.perscom.resources.common import REQUIRED, STAMPS, models
from tenantry.perscom.resources.images import MorphTargetRules


class Comment(TenantOwned, Base):
    __tablename__ = "perscom_comments"
    __table_args__ = (
        tenant_fk(["author_id"], "users"),
        Index("ix_perscom_comments_model", "tenant_id", "model_type", "model_id"),
    )

    comment: Mapped[str] = mapped_column(Text)
    model_type: Mapped[str | None] = mapped_column(String(255), default=None)
    model_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    author_id: Mapped[int | None] = mapped_column(BigInteger, default=None)


class Attachment(TenantOwned, Base):
    __tablename__ = "perscom_attachments"
    __table_args__ = (Index("ix_perscom_attachments_model", "tenant_id", "model_type", "model_id"),)

    name: Mapped[str] = mapped_column(String(255))
    filename: Mapped[str | None] = mapped_column(String(255), default=None)
    path: Mapped[str | None] = mapped_column(String(255), default=None)
    model_type: Mapped[str | None] = mapped_column(String(255), default=None)
    model_id: Mapped[int | None] = mapped_column(BigInteger, default=None)


class CommentRules(MorphTargetRules):
    """The target must exist; the author is the caller."""

    async def before_create(self, call: Call, values: dict[str, Any]) -> None:
        await super().before_create(call, values)
        values["author_id"] = call.principal.user_id


def _attachment_url(row: Mapping[str, Any], context: RenderContext) -> str | None:
    path = row["path"]
    if not path:
        return None
    sign = context.signed_url or context.public_url
    return sign(path)


comments = Resource(
    name="comments",
    model=Comment,
    label="Comment",
    permission="comment",
    morph_type=models("Comment"),
    writable=("comment", "model_type", "model_id", *STAMPS),
    rules={"comment": REQUIRED},
    relations=(BelongsTo("author", "users", "author_id"), MorphTo("commentable")),
    includes=("author", "commentable"),
    searchable=("comment",),
    service=CommentRules(),
)

attachments = Resource(
    name="attachments",
    model=Attachment,
    label="Attachment",
    permission="attachment",
    morph_type=models("Attachment"),
    writable=("name", "file", "model_type", "model_id", *STAMPS),
    rules={"name": REQUIRED, "file": REQUIRED},
    files={
        "file": FileField("attachments", column="path", filename_column="filename", any_file=True)
    },
    computed=(Computed("attachment_url", _attachment_url, {"type": ["string", "null"]}),),
    relations=(MorphTo("model"),),
    includes=("model",),
    searchable=("name", "filename"),
    service=MorphTargetRules(),
    spec_description=(
        "A file (multipart `file`, at most 10 MB) on any row; `attachment_url` is a signed "
        "link valid for one to two hours."
    ),
)

DECLARATIONS = (comments, attachments)


def discussed(
    morph_type: str, *, attached: bool = True, commented: bool = True
) -> tuple[Relation, ...]:
    """The ``attachments`` and ``comments`` relations of a row of ``morph_type``."""
    where = (("model_type", morph_type),)
    found: tuple[Relation, ...] = ()
    if attached:
        found += (HasMany("attachments", "attachments", "model_id", where=where),)
    if commented:
        found += (HasMany("comments", "comments", "model_id", where=where),)
    return found


DISCUSSION_INCLUDES = ("attachments", "comments", "comments.*")
