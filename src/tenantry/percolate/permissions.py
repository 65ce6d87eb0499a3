"""The Percolate face's own core permissions: system administration and OAuth client
registration (the ``admin`` role holds all)."""

from __future__ import annotations

from tenantry.core.identity.permissions import Permission

SYSTEM_ADMIN = "system:admin"
INTEGRATION_CLIENT_MANAGER = "integration:client:manage"

PERMISSIONS = (
    Permission(SYSTEM_ADMIN, face="percolate", description="Percolate system administrator."),
    Permission(
        INTEGRATION_CLIENT_MANAGER,
        face="percolate",
        description="Register OAuth applications and manage their secrets.",
    ),
)

CLIENT_REGISTRARS = (SYSTEM_ADMIN, INTEGRATION_CLIENT_MANAGER)
"""Either one may register a client application (seed), with two-factor enabled."""

__all__ = ["CLIENT_REGISTRARS", "INTEGRATION_CLIENT_MANAGER", "PERMISSIONS", "SYSTEM_ADMIN"]
