"""Every PERSCOM resource of this part of the face, one module per domain."""

from __future__ import annotations

from tenantry.perscom.engine.declaration import Resource
from tenantry.perscom.resources import (
    calendars,
    categories,
    communications,
    documents,
    images,
    organization,
    people,
    recognition,
    records,
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
    *calendars.DECLARATIONS,
    *communications.DECLARATIONS,
    *tasks.DECLARATIONS,
)

__all__ = ["DECLARATIONS"]
