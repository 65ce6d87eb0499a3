"""Request body of ``POST /api/v5/export/``; ``FIELD:from``/``FIELD:to`` keys may ride
along (the preview's date filters), so other keys are kept for :mod:`.filters`."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ExportCreate(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: str = Field(description="The type of data to export.")
    fields: list[str] | None = Field(
        default=None, description="Fields of the type, in CSV column order (default: all)."
    )
    scope_ids: list[str] | str | None = Field(
        default=None, description="License ids (or other scope ids) whose rows to export."
    )
