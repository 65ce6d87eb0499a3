"""Request bodies of ``/api/v5/user/``: create, update and password change."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from tenantry.percolate.role.user_role.bodies import UserRoleOfNewUser


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    email: str = Field(max_length=320, description="User's login email.")
    name: str = Field(min_length=1, max_length=200, description="The full name of the user.")
    timezone: str = Field(default="UTC", max_length=64, description="A tz database name.")
    user_role: UserRoleOfNewUser | None = Field(
        default=None, description="Automatically create a user role alongside the user."
    )


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    active: bool | None = None
    email: str | None = Field(default=None, max_length=320)
    name: str | None = Field(default=None, min_length=1, max_length=200)
    timezone: str | None = Field(default=None, max_length=64)


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="ignore")

    old_password: str = Field(max_length=1000)
    new_password: str = Field(max_length=1000)
