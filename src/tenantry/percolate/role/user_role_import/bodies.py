"""Request body of ``POST /api/v5/user_role_import/``."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class UserRoleImportCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    asset_id: str = Field(
        pattern=r"^asset:\d+$", description="The CSV (email,name,role,scope), uploaded as an asset."
    )
    account_id: str | None = Field(
        default=None,
        pattern=r"^account:\d+$",
        description="The account meant when a row's scope is `Account`.",
    )
