"""Request bodies of ``/api/v5/upload/`` and ``/api/v5/upload_policy/``."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tenantry.core.storage.multipart import MAX_PART_SIZE
from tenantry.percolate.api.ids import SCOPE_PATTERN
from tenantry.percolate.folder.location import LOCATION_PATTERN

MAX_FILE_SIZE = 5 * 1024**4
"""S3's absolute object limit (5 TiB); a single form POST stops at 5 GiB."""


class UploadExt(BaseModel):
    model_config = ConfigDict(extra="ignore")

    url: str | None = Field(default=None, max_length=2048, description="`type: url`: the file.")
    filename: str | None = Field(default=None, min_length=1, max_length=255)
    content_type: str | None = Field(default=None, max_length=255)
    file_size: int | None = Field(default=None, ge=0, le=MAX_FILE_SIZE)
    file_hash: str | None = Field(
        default=None, pattern=r"^[0-9a-fA-F]{32}$", description="MD5 hex of the file."
    )
    multipart: bool = False


class UploadCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    scope_id: str = Field(pattern=SCOPE_PATTERN, description="The license the asset lands in.")
    type: Literal["url", "file"]
    destination_id: str = Field(default="folder:primary", pattern=LOCATION_PATTERN)
    approval_group_id: str | None = Field(default=None, max_length=100)
    ext: UploadExt = Field(default_factory=UploadExt)
    upload_state: str | None = Field(default=None, max_length=100)
    progress: int | None = Field(default=None, ge=0, le=100)
    asset_id: str | None = Field(
        default=None,
        pattern=r"^asset:\d{1,18}$",
        description="Replace this asset's file: the upload becomes its next version.",
    )


class UploadUpdate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    scope_id: str | None = Field(default=None, pattern=SCOPE_PATTERN)
    status: Literal["uploading", "ready", "error"] | None = Field(
        default=None,
        description="`ready`: the file is stored, ingest it now; `error`: give the upload up.",
    )
    progress: int | None = Field(default=None, ge=0, le=100)


class PolicyExt(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    part_number: int | None = Field(default=None, ge=1, le=10000)
    content_length: int | None = Field(
        default=None, alias="Content-Length", ge=0, le=MAX_PART_SIZE, description="The part's."
    )


class UploadPolicyCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    upload_id: str = Field(pattern=r"^upload:\d+$")
    type: Literal["s3", "s3_multipart"]
    ext: PolicyExt = Field(default_factory=PolicyExt)
