"""Request body of ``POST /api/v5/postwebhook/``."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from tenantry.percolate.api.ids import SCOPE_PATTERN


class PostWebhookCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    post_id: str = Field(pattern=r"^post:\d{1,18}$")
    webhook_id: str = Field(pattern=r"^webhook:\d{1,18}$")
    scope_id: str | None = Field(default=None, pattern=SCOPE_PATTERN)
