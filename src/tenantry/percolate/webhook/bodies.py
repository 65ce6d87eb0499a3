"""Request bodies of ``POST`` and ``PATCH /api/v5/webhook/``."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from tenantry.percolate.api.ids import SCOPE_PATTERN
from tenantry.percolate.webhook.declaration import Event, all_events


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    url: str = Field(min_length=1, max_length=2048)
    scope_id: str | None = Field(default=None, pattern=SCOPE_PATTERN)
    secret: str = Field(min_length=16, max_length=200)
    events: list[Event] = Field(default_factory=all_events, max_length=10)


class WebhookUpdate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    url: str | None = Field(default=None, min_length=1, max_length=2048)
    secret: str | None = Field(default=None, min_length=16, max_length=200)
    events: list[Event] | None = Field(default=None, max_length=10)
