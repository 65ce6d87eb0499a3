"""Request bodies of ``POST`` and ``PATCH /api/v5/comment/``."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator

from tenantry.percolate.comment.declaration import OBJECT_IDS_PATTERN


class Coordinate(BaseModel):
    """Where a pin sits on an image."""

    model_config = ConfigDict(extra="forbid")

    x: float = Field(ge=0, le=1_000_000)
    y: float = Field(ge=0, le=1_000_000)
    unit: Literal["px", "%"] = "px"


class Mention(BaseModel):
    """A user named in the comment's text, where the name stands (characters of ``body``).

    The SDK maps ``object_id``; the reference's ``user_id`` is accepted too, and a bare
    ``"user:N"`` (Tenantry's earlier form) is a mention at offset 0 of length 0."""

    model_config = ConfigDict(extra="forbid")

    object_id: str = Field(
        validation_alias=AliasChoices("object_id", "user_id"), min_length=1, max_length=40
    )
    offset: int = Field(default=0, ge=0, le=20_000)
    length: int = Field(default=0, ge=0, le=20_000)


def _mention_objects(value: Any) -> Any:
    if isinstance(value, list):
        return [{"object_id": item} if isinstance(item, str) else item for item in value]
    return value


class CommentCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    object_id: str = Field(pattern=OBJECT_IDS_PATTERN)
    body: str = Field(min_length=1, max_length=20_000)
    scope_id: str | None = Field(default=None, max_length=60)
    parent_comment_id: str | None = Field(default=None, pattern=r"^comment:\d{1,18}$")
    mentions: list[Mention] = Field(default_factory=list, max_length=100)
    context_type: Literal["coordinate"] | None = None
    context_ext: Coordinate | None = None

    _mentions = field_validator("mentions", mode="before")(_mention_objects)


class CommentUpdate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    body: str | None = Field(default=None, min_length=1, max_length=20_000)
    mentions: list[Mention] | None = Field(default=None, max_length=100)
    context_ext: Coordinate | None = None

    _mentions = field_validator("mentions", mode="before")(_mention_objects)
