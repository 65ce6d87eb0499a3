"""Request bodies of ``POST`` and ``PATCH /api/v5/comment/``."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tenantry.percolate.comment.declaration import OBJECT_IDS_PATTERN


class Coordinate(BaseModel):
    """Where a pin sits on an image."""

    model_config = ConfigDict(extra="forbid")

    x: float = Field(ge=0, le=1_000_000)
    y: float = Field(ge=0, le=1_000_000)
    unit: Literal["px", "%"] = "px"


class CommentCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    object_id: str = Field(pattern=OBJECT_IDS_PATTERN)
    body: str = Field(min_length=1, max_length=20_000)
    scope_id: str | None = Field(default=None, max_length=60)
    parent_comment_id: str | None = Field(default=None, pattern=r"^comment:\d{1,18}$")
    mentions: list[str] = Field(default_factory=list, max_length=100)
    context_type: Literal["coordinate"] | None = None
    context_ext: Coordinate | None = None


class CommentUpdate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    body: str | None = Field(default=None, min_length=1, max_length=20_000)
    mentions: list[str] | None = Field(default=None, max_length=100)
    context_ext: Coordinate | None = None
