"""Every PERSCOM model module, for the platform's model registry (Alembic sees them)."""

from __future__ import annotations

from tenantry.perscom import apikeys
from tenantry.perscom.resources import (
    calendars,
    categories,
    communications,
    discussion,
    documents,
    form_models,
    images,
    newsfeed,
    organization,
    people,
    recognition,
    record_models,
    tasks,
)

__all__ = [
    "apikeys",
    "calendars",
    "categories",
    "communications",
    "discussion",
    "documents",
    "form_models",
    "images",
    "newsfeed",
    "organization",
    "people",
    "recognition",
    "record_models",
    "tasks",
]
