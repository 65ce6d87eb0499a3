"""Every PERSCOM resource, one module per domain; the face installs exactly these."""

from __future__ import annotations

from tenantry.perscom.engine.declaration import Resource
from tenantry.perscom.resources import (
    calendars,
    categories,
    communications,
    discussion,
    documents,
    forms,
    images,
    newsfeed,
    organization,
    people,
    recognition,
    records,
    tags,
    tasks,
)

DECLARATIONS: tuple[Resource, ...] = (
    *people.DECLARATIONS,
    *organization.DECLARATIONS,
    *recognition.DECLARATIONS,
    *categories.DECLARATIONS,
    *images.DECLARATIONS,
    *documents.DECLARATIONS,
    *records.DECLARATIONS,
    *forms.DECLARATIONS,
    *calendars.DECLARATIONS,
    *communications.DECLARATIONS,
    *tasks.DECLARATIONS,
    *discussion.DECLARATIONS,
    *newsfeed.DECLARATIONS,
    *tags.DECLARATIONS,
)

__all__ = ["DECLARATIONS"]
