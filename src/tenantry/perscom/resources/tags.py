"""Tags: free labels on forms, calendars, events and documents.

PERSCOM lists a ``tags`` include and a ``tags`` search scope on those four resources but
serves no endpoint to make tags, so Tenantry adds ``/tags`` (marked as an extension in the
spec) with nested ``tags/{id}/<resource>`` attach/detach/sync, filed through one morph
pivot as categories are. The scope takes tag names and keeps rows holding any of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Index, String, exists
from sqlalchemy.orm import Mapped, mapped_column

from tenantry.core.base import Base, TenantOwned, TenantScoped, tenant_fk
from tenantry.core.errors import FieldError
from tenantry.core.resources.scoped import of_tenant
from tenantry.perscom.engine.declaration import BelongsToMany, NamedScope, Resource
from tenantry.perscom.engine.problems import failure
from tenantry.perscom.engine.runtime import Compiled
from tenantry.perscom.resources.common import REQUIRED, STAMPS, models

MAX_SCOPE_TAGS = 50


class Tag(TenantOwned, Base):
    __tablename__ = "perscom_tags"
    __table_args__ = (Index("ix_perscom_tags_name", "tenant_id", "name"),)

    name: Mapped[str] = mapped_column(String(255))


class Taggable(TenantScoped, Base):
    """A row of some resource carrying a tag (Laravel's morph pivot)."""

    __tablename__ = "perscom_taggables"
    __table_args__ = (
        tenant_fk(["tag_id"], "perscom_tags", ondelete="CASCADE"),
        Index("ix_perscom_taggables_model", "tenant_id", "model_type", "model_id"),
    )

    tag_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    model_type: Mapped[str] = mapped_column(String(255), primary_key=True)
    model_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)


PIVOT = Base.metadata.tables["perscom_taggables"]
TAGS = Base.metadata.tables["perscom_tags"]
TAGGED = ("forms", "calendars", "events", "documents")
"""The resources that carry tags, by URL segment."""


def _tagged_rows(name: str, model: str) -> BelongsToMany:
    """``tags/{id}/<name>``: the rows of one resource carrying the tag."""
    return BelongsToMany(
        name,
        name,
        PIVOT,
        parent_key="tag_id",
        related_key="model_id",
        pivot_fields=("model_type",),
        pivot_where=(("model_type", models(model)),),
    )


def tags_of(morph: str) -> BelongsToMany:
    """The ``tags`` relation of a tagged resource (``include=tags``)."""
    return BelongsToMany(
        "tags",
        "tags",
        PIVOT,
        parent_key="model_id",
        related_key="tag_id",
        pivot_fields=("model_type",),
        pivot_where=(("model_type", morph),),
    )


def tags_scope(morph: str) -> NamedScope:
    """The ``tags`` search scope: rows holding any of the named tags."""

    def apply(resource: Compiled, params: Sequence[Any]) -> ColumnElement[bool]:
        names = [p for p in params if isinstance(p, str) and p]
        if len(names) != len(params) or not names:
            raise failure(
                [FieldError("scopes", "The tags scope takes one or more tag names (strings).")]
            )
        return exists().where(
            of_tenant(PIVOT, resource.tenant_col),
            PIVOT.c.model_type == morph,
            PIVOT.c.model_id == resource.id_col,
            of_tenant(TAGS, resource.tenant_col),
            TAGS.c.id == PIVOT.c.tag_id,
            TAGS.c.name.in_(names),
        )

    return NamedScope("tags", apply, max_parameters=MAX_SCOPE_TAGS)


tags = Resource(
    name="tags",
    model=Tag,
    label="Tag",
    permission="tag",
    morph_type=models("Tag"),
    writable=("name", *STAMPS),
    rules={"name": REQUIRED},
    relations=(
        _tagged_rows("forms", "Form"),
        _tagged_rows("calendars", "Calendar"),
        _tagged_rows("events", "Event"),
        _tagged_rows("documents", "Document"),
    ),
    includes=TAGGED,
    searchable=("name",),
    nested=TAGGED,
    addition=True,
    spec_description=(
        "Tenantry's addition: PERSCOM shows tags on forms, calendars, events and documents "
        "but serves no endpoint to make them."
    ),
)

DECLARATIONS = (tags,)
