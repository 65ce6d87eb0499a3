"""The one error of export and import: its message is the operator's one line."""

from __future__ import annotations

from tenantry.core.errors import TenantryError


class PortabilityError(TenantryError):
    """An export or import that cannot go ahead; nothing was written."""
