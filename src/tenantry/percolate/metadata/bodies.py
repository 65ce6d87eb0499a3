"""Request bodies of ``POST`` and ``PATCH /api/v5/metadata/``."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tenantry.percolate.metadata.declaration import OBJECT_PATTERN


class MetadataWrite(BaseModel):
    """One record as the create body (and a post's ``metadata`` items) give it."""

    model_config = ConfigDict(extra="ignore")

    schema_id: str = Field(pattern=r"^schema:\d+(_\d+)?$")
    ext: dict[str, Any] = Field(default_factory=dict)


class MetadataCreate(MetadataWrite):
    object_id: str = Field(pattern=OBJECT_PATTERN)


class MetadataUpdate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    ext: dict[str, Any]
