"""Request bodies of ``POST`` and ``PUT /api/v5/folder/``."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from tenantry.percolate.api.ids import SCOPE_PATTERN
from tenantry.percolate.folder.location import LOCATION_PATTERN


class FolderCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str = Field(min_length=1, max_length=255, description="The user defined name.")
    description: str | None = Field(default=None, max_length=10000)
    parent_id: str = Field(
        default="folder:primary",
        pattern=LOCATION_PATTERN,
        description="The parent folder; `folder:primary` (or `folder:0`) is the library root.",
    )
    scope_id: str | None = Field(
        default=None,
        pattern=SCOPE_PATTERN,
        description="The library's license; required when the parent is the root.",
    )


class FolderUpdate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str | None = Field(default=None, min_length=1, max_length=255)
    description: str | None = Field(default=None, max_length=10000)
    parent_id: str | None = Field(default=None, pattern=LOCATION_PATTERN, description="Move.")
    deleted: bool | None = Field(
        default=None, description="`false` restores the folder and its subtree where they were."
    )
    updated_at: datetime | None = Field(
        default=None,
        description="When the caller last saw the folder change; a stale value is a 409.",
    )
