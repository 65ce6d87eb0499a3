"""Documents: HTML templates with content tags that records fill in (``document_parsed``).

A record naming a document appends the document's content with its tags replaced by
that record's values (``{user_name}``, ``{user_rank}``, ``{award_record_award}``,
``{record_text}``, ``{record_date}`` …). The content rides along in the record's own
query; the tag values (correlated look-ups) are read by a second query, for the rows that
name a document only, and escaped, since the content is HTML.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Index, String, Text, and_, select
from sqlalchemy.orm import Mapped, mapped_column

from tenantry.core.base import Base, TenantOwned, tenant_fk
from tenantry.core.identity.models import User
from tenantry.core.resources.scoped import of_tenant, same_tenant
from tenantry.perscom.engine.context import Call
from tenantry.perscom.engine.declaration import (
    BelongsTo,
    Computed,
    Later,
    RenderContext,
    Resource,
    ResourceRules,
)
from tenantry.perscom.engine.runtime import Compiled
from tenantry.perscom.resources.common import REQUIRED, STAMPS, models
from tenantry.perscom.resources.organization import Position, Rank, Specialty, Status, Unit
from tenantry.perscom.resources.people import UserProfile
from tenantry.perscom.resources.tags import tags_of, tags_scope


class Document(TenantOwned, Base):
    __tablename__ = "perscom_documents"
    __table_args__ = (
        tenant_fk(["author_id"], "users"),
        Index("ix_perscom_documents_author", "tenant_id", "author_id"),
    )

    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text, default=None)
    content: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(BigInteger, default=None)


class Authored(ResourceRules):
    """``author_id`` is the caller's user, set on create and never read from input."""

    async def before_create(self, call: Call, values: dict[str, Any]) -> None:
        values["author_id"] = call.principal.user_id


documents = Resource(
    name="documents",
    model=Document,
    label="Document",
    permission="document",
    morph_type=models("Document"),
    writable=("name", "description", "content", *STAMPS),
    rules={"name": REQUIRED, "content": REQUIRED},
    relations=(BelongsTo("author", "users", "author_id"), tags_of(models("Document"))),
    includes=("author", "tags"),
    scopes=(tags_scope(models("Document")),),
    searchable=("name", "description", "content"),
    service=Authored(),
)

DECLARATIONS = (documents,)

# -- document_parsed --------------------------------------------------------------------

Lookup = Callable[[Compiled], ColumnElement[Any]]
"""A tag's value for a record row: an SQL expression correlated to the record."""

_DOCUMENTS = Document.__table__
_USERS = User.__table__
_PROFILES = UserProfile.__table__
TAG = re.compile(r"\{([a-z_]+)\}")
RANK_RECORD_TYPES = {0: "Promotion", 1: "Demotion", 2: "Lateral", 3: "Transfer"}


def named(model: type[Base], key: str) -> Lookup:
    """The ``name`` of the ``model`` row the record's ``key`` column names."""
    table = model.__table__

    def lookup(record: Compiled) -> ColumnElement[Any]:
        return (
            select(table.c.name)
            .where(
                of_tenant(table, record.tenant_col),
                table.c.id == record.columns[key],
            )
            .scalar_subquery()
        )

    return lookup


def _user_column(column: str, key: str = "user_id") -> Lookup:
    def lookup(record: Compiled) -> ColumnElement[Any]:
        return (
            select(_USERS.c[column])
            .where(of_tenant(_USERS, record.tenant_col), _USERS.c.id == record.columns[key])
            .scalar_subquery()
        )

    return lookup


def _profile_name(model: type[Base], key: str, column: str = "name") -> Lookup:
    """A column of what the record's user holds now (their rank, unit …)."""
    table = model.__table__

    def lookup(record: Compiled) -> ColumnElement[Any]:
        return (
            select(table.c[column])
            .select_from(
                _PROFILES.join(
                    table,
                    and_(
                        same_tenant(table, _PROFILES),
                        table.c.id == _PROFILES.c[key],
                    ),
                )
            )
            .where(
                of_tenant(_PROFILES, record.tenant_col),
                _PROFILES.c.user_id == record.columns["user_id"],
            )
            .scalar_subquery()
        )

    return lookup


def own(column: str) -> Lookup:
    return lambda record: record.columns[column]


COMMON_TAGS: dict[str, Lookup] = {
    "user_name": _user_column("name"),
    "user_email": _user_column("email"),
    "user_rank": _profile_name(Rank, "rank_id"),
    "user_rank_abbreviation": _profile_name(Rank, "rank_id", "abbreviation"),
    "user_position": _profile_name(Position, "position_id"),
    "user_specialty": _profile_name(Specialty, "specialty_id"),
    "user_status": _profile_name(Status, "status_id"),
    "user_unit": _profile_name(Unit, "unit_id"),
    "author_name": _user_column("name", "author_id"),
    "record_text": own("text"),
    "record_date": own("created_at"),
}
"""Tags every record fills; each kind adds ``<kind>_record_<field>`` ones."""


def document_parsed(prefix: str, extra: Mapping[str, Lookup] | None = None) -> Computed:
    """The ``document_parsed`` field of one record kind (``prefix``: ``award_record``)."""
    tags: dict[str, Lookup] = {
        **COMMON_TAGS,
        f"{prefix}_text": own("text"),
        f"{prefix}_date": own("created_at"),
        **{f"{prefix}_{k}": v for k, v in (extra or {}).items()},
    }

    def sql(record: Compiled) -> Mapping[str, ColumnElement[Any]]:
        content = (
            select(_DOCUMENTS.c.content)
            .where(
                of_tenant(_DOCUMENTS, record.tenant_col),
                _DOCUMENTS.c.id == record.columns["document_id"],
            )
            .scalar_subquery()
        )
        return {"_document": content}

    def tag_values(record: Compiled) -> Mapping[str, ColumnElement[Any]]:
        return {f"_tag_{tag}": lookup(record) for tag, lookup in tags.items()}

    def compute(row: Mapping[str, Any], _context: RenderContext) -> str | None:
        content = row["_document"]
        if content is None:
            return None
        values = {tag: _text(tag, row[f"_tag_{tag}"]) for tag in tags}

        def fill(match: re.Match[str]) -> str:
            name = match.group(1)
            return values[name] if name in values else match.group(0)

        return TAG.sub(fill, str(content))

    return Computed(
        "document_parsed",
        compute,
        {"type": ["string", "null"]},
        sql=sql,
        later=Later(tag_values, _names_a_document),
    )


def _names_a_document(row: Mapping[str, Any]) -> bool:
    return row["_document"] is not None


def _text(tag: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d")
    if tag == "rank_record_type" and isinstance(value, int):
        return RANK_RECORD_TYPES.get(value, str(value))
    return html.escape(str(value))
