"""Request bodies of ``POST`` and ``PATCH /api/v5/role/``."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from tenantry.percolate.api.ids import SCOPE_PATTERN
from tenantry.percolate.role.declaration import CODE_PATTERN


class RoleCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str = Field(min_length=1, max_length=100)
    code: str | None = Field(default=None, max_length=100, pattern=CODE_PATTERN)
    description: str = Field(default="", max_length=500)
    capabilities: list[str] = Field(default_factory=list, max_length=500)
    scope_id: str | None = Field(
        default=None, pattern=SCOPE_PATTERN, description="Owning scope (default: the account)."
    )


class RoleUpdate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str | None = Field(default=None, min_length=1, max_length=100)
    description: str | None = Field(default=None, max_length=500)
    capabilities: list[str] | None = Field(default=None, max_length=500)
