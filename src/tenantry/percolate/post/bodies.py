"""Request bodies of ``POST`` and ``PATCH /api/v5/post/``."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tenantry.percolate.api.ids import SCOPE_PATTERN
from tenantry.percolate.metadata.bodies import MetadataWrite


class PostFields(BaseModel):
    """What create and update share (every property optional here)."""

    model_config = ConfigDict(extra="ignore")

    name: str | None = Field(default=None, max_length=500)
    description: str | None = Field(default=None, max_length=20_000)
    schema_id: str | None = Field(default=None, pattern=r"^schema:\d+(_\d+)?$")
    ext: dict[str, Any] | None = None
    live_at: str | None = Field(default=None, max_length=40)
    live_at_timezone: str | None = Field(default=None, max_length=64)
    assignee_id: str | None = Field(default=None, pattern=r"^user:\d{1,18}$")
    term_ids: list[str] | None = Field(default=None, max_length=500)
    topic_ids: list[str] | None = Field(default=None, max_length=500)
    origin_ids: list[str] | None = Field(default=None, max_length=100)
    status: str | None = Field(default=None, max_length=40)
    approval_group_id: str | None = Field(default=None, max_length=80)
    production_workflow_id: str | None = Field(default=None, max_length=80)
    """Read back as null: this server keeps no production workflows, so naming one is a 400
    rather than a value silently dropped (null, as clients echo it, is fine)."""

    @field_validator("ext", mode="before")
    @classmethod
    def _php_empty_object(cls, value: Any) -> Any:
        """PHP clients re-send an empty object they read as ``[]``: nothing to change."""
        return None if value == [] else value

    @field_validator("production_workflow_id")
    @classmethod
    def _no_workflows(cls, value: str | None) -> str | None:
        if value is not None:
            raise ValueError("Production workflows are not supported by this server.")
        return value


class PostCreate(PostFields):
    """``scope_id``, ``channel_id`` and ``schema_id`` are required unless ``copy_from_id``
    names a post to take them from (every property is then an override)."""

    scope_id: str | None = Field(default=None, pattern=SCOPE_PATTERN)
    channel_id: str | None = Field(default=None, pattern=r"^channel:\d{1,18}$")
    platform_id: str | None = Field(default=None, pattern=r"^platform:\d{1,18}$")
    copy_from_id: str | None = Field(default=None, pattern=r"^post:\d{1,18}$")
    metadata: list[MetadataWrite] | None = Field(default=None, max_length=50)
    """Metadata records about the new post, written in the same transaction."""


class PostUpdate(PostFields):
    url: str | None = Field(default=None, max_length=2048)
    xid: str | None = Field(default=None, max_length=200)
    platform_id: str | None = Field(default=None, pattern=r"^platform:\d{1,18}$")
    channel_id: str | None = Field(default=None, pattern=r"^channel:\d{1,18}$")
