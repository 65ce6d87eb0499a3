"""Request bodies of ``POST`` and ``PATCH /api/v5/scope/``."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from tenantry.percolate.api.ids import SCOPE_PATTERN
from tenantry.percolate.scope.declaration import ScopeKind


class ScopeCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: ScopeKind = Field(description="license_group, license or brand.")
    name: str = Field(min_length=1, max_length=200)
    parent_id: str | None = Field(
        default=None, pattern=SCOPE_PATTERN, description="The parent scope (default: the account)."
    )


class ScopeUpdate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str = Field(min_length=1, max_length=200)
