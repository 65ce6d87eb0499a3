"""Request bodies of ``POST`` and ``PATCH /api/v5/platform/``."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tenantry.percolate.api.ids import SCOPE_PATTERN
from tenantry.percolate.platform.declaration import AVATAR_PATTERN, COLOR_PATTERN


class PlatformCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str = Field(min_length=1, max_length=200, description="The name of the platform.")
    type: Literal["custom"] = Field(
        default="custom", description="Only custom platforms can be created or edited."
    )
    color: str | None = Field(default=None, pattern=COLOR_PATTERN)
    avatar_id: str | None = Field(default=None, pattern=AVATAR_PATTERN)
    scope_id: str | None = Field(default=None, pattern=SCOPE_PATTERN)


class PlatformUpdate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    type: Literal["custom"] | None = None
    color: str | None = Field(default=None, pattern=COLOR_PATTERN)
    avatar_id: str | None = Field(default=None, pattern=AVATAR_PATTERN)
    scope_id: str | None = Field(default=None, pattern=SCOPE_PATTERN)
