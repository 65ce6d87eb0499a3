"""Request bodies of ``POST`` and ``PATCH /api/v5/channel/``."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from tenantry.percolate.api.ids import SCOPE_PATTERN
from tenantry.percolate.channel.declaration import ChannelType


class ChannelCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str = Field(min_length=1, max_length=200, description="The display name.")
    platform_id: str = Field(pattern=r"^platform:\d+$")
    scope_id: str = Field(pattern=SCOPE_PATTERN, description="A license ID.")
    term_ids: list[str] = Field(default_factory=list, max_length=200)
    type: ChannelType
    xid: str = Field(default="", max_length=200, description="The external channel identifier.")


class ChannelUpdate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    active: bool | None = None
    name: str | None = Field(default=None, min_length=1, max_length=200)
    platform_id: str | None = Field(default=None, pattern=r"^platform:\d+$")
    scope_id: str | None = Field(default=None, pattern=SCOPE_PATTERN)
    term_ids: list[str] | None = Field(default=None, max_length=200)
    type: ChannelType | None = None
    xid: str | None = Field(default=None, max_length=200)
