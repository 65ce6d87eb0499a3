"""Request bodies of ``POST`` (copy) and ``PUT /api/v5/asset/``."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from tenantry.percolate.api.ids import SCOPE_PATTERN
from tenantry.percolate.folder.location import LOCATION_PATTERN


class AssetCopy(BaseModel):
    model_config = ConfigDict(extra="ignore")

    copy_from_id: str = Field(pattern=r"^asset:\d+$", description="The asset to duplicate.")
    folder_id: str = Field(default="folder:primary", pattern=LOCATION_PATTERN)
    scope_id: str | None = Field(
        default=None,
        pattern=SCOPE_PATTERN,
        description="The target library (default the source's).",
    )


class AssetUpdate(BaseModel):
    """Exactly one property per request (the seed's rule)."""

    model_config = ConfigDict(extra="ignore")

    folder_id: str | None = Field(default=None, pattern=LOCATION_PATTERN, description="Move.")
    filename: str | None = Field(default=None, min_length=1, max_length=255, description="Rename.")
    deleted: bool | None = Field(
        default=None, description="`false` restores a trashed asset to where it was."
    )
    version_id: str | None = Field(
        default=None,
        pattern=r"^asset_version:\d{1,18}$",
        description="Roll back: the asset shows this version's file again (as a new version).",
    )
    context_id: str | None = Field(
        default=None,
        max_length=100,
        description="The post whose revision to restore (not supported: use `version_id`).",
    )
