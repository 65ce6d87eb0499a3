"""Every PERSCOM model module, for the platform's model registry (Alembic sees them)."""

from __future__ import annotations

from tenantry.perscom import apikeys, stored_settings
from tenantry.perscom.activity import models as activity
from tenantry.perscom.oauth import models as oauth
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
    tags,
    tasks,
)
from tenantry.perscom.webhooks import models as webhooks

__all__ = [
    "activity",
    "apikeys",
    "calendars",
    "categories",
    "communications",
    "discussion",
    "documents",
    "form_models",
    "images",
    "newsfeed",
    "oauth",
    "organization",
    "people",
    "recognition",
    "record_models",
    "stored_settings",
    "tags",
    "tasks",
    "webhooks",
]
