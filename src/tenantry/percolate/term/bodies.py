"""Request bodies of ``POST`` and ``PATCH /api/v5/term/``."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tenantry.percolate.api.ids import SCOPE_PATTERN


class TermCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str = Field(min_length=1, max_length=200)
    scope_id: str | None = Field(default=None, pattern=SCOPE_PATTERN)
    namespace: str = Field(default="tag", min_length=1, max_length=100)
    parent_id: str | None = Field(default=None, pattern=r"^term:\d+$")
    status: Literal["active", "inactive"] = "active"


class TermUpdate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    parent_id: str | None = Field(default=None, pattern=r"^term:\d+$")
    status: Literal["active", "inactive"] | None = None
