"""Every PERSCOM model module, for the platform's model registry (Alembic sees them)."""

from __future__ import annotations

from tenantry.perscom import apikeys
from tenantry.perscom.resources import categories, images, organization, people, recognition

__all__ = ["apikeys", "categories", "images", "organization", "people", "recognition"]
