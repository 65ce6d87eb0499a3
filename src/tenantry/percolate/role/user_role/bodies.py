"""Request bodies of ``/api/v5/user_role/``."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from tenantry.percolate.api.ids import SCOPE_PATTERN


class UserRoleBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    user_id: str = Field(pattern=r"^user:\d+$")
    role_id: str = Field(pattern=r"^role:\d+$")
    scope_id: str = Field(pattern=SCOPE_PATTERN, description="The scope the role applies in.")


class UserRoleOfNewUser(BaseModel):
    """``user_role`` of a user create: the role and scope (the user is the one created)."""

    model_config = ConfigDict(extra="ignore")

    role_id: str = Field(pattern=r"^role:\d+$")
    scope_id: str = Field(pattern=SCOPE_PATTERN)
