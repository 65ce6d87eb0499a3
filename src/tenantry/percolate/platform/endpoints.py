"""``/api/v5/platform/`` (reference §3.8): publishing platforms, native and custom."""

from __future__ import annotations

from tenantry.percolate.api.routes import Create, Update, resource_router
from tenantry.percolate.platform.bodies import PlatformCreate, PlatformUpdate
from tenantry.percolate.platform.declaration import RESOURCE
from tenantry.percolate.platform.service import create_platform, update_platform

router = resource_router(
    RESOURCE,
    create=Create(PlatformCreate, create_platform, "Create a custom platform (`platform:manage`)."),
    update=Update(
        PlatformUpdate, update_platform, "Change a custom platform; native ones are read-only."
    ),
    list_description="Native platforms (`builtin_scope:system`) and the account's custom ones.",
)
