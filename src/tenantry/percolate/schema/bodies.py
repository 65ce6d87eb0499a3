"""Request bodies of ``POST`` and ``PATCH /api/v5/schema/``."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tenantry.percolate.api.ids import SCOPE_PATTERN

_TYPE = Literal[
    "campaign_section", "post", "targeting", "metadata", "post_attachment", "intake_request"
]
_RESOURCE_TYPE = Literal[
    "all", "asset", "campaign", "campaign_section", "channel", "monitoring_flag", "post",
    "targeting", "task",
]  # fmt: skip


class SchemaBody(BaseModel):
    """What create and update share."""

    model_config = ConfigDict(extra="ignore")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    fields: list[Any] | None = Field(default=None, max_length=500)
    fieldsets: list[Any] | None = Field(default=None, max_length=100)
    plugins: list[Any] | None = Field(default=None, max_length=100)
    limit_resource_types: list[_RESOURCE_TYPE] | None = Field(default=None, max_length=20)
    ext: dict[str, Any] | None = None
    status: Literal["active", "inactive"] | None = None


class SchemaCreate(SchemaBody):
    name: str = Field(min_length=1, max_length=200)
    type: _TYPE
    scope_id: str | None = Field(default=None, pattern=SCOPE_PATTERN)
    slug: str | None = Field(default=None, min_length=1, max_length=200, pattern=r"^[\w-]+$")


class SchemaUpdate(SchemaBody):
    type: _TYPE | None = None
    """May be sent (clients PUT the object they read) but not changed: posts and metadata
    written against the schema depend on its type."""
