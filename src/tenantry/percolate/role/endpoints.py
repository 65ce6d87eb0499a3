"""``/api/v5/role/``: roles as named lists of capability codes (reference §3.17)."""

from __future__ import annotations

from tenantry.percolate.api.routes import Create, Delete, Update, resource_router
from tenantry.percolate.role.bodies import RoleCreate, RoleUpdate
from tenantry.percolate.role.declaration import RESOURCE
from tenantry.percolate.role.service import create_role, delete_role, update_role

router = resource_router(
    RESOURCE,
    create=Create(RoleCreate, create_role, "Create a custom role (capability `role:manage`)."),
    update=Update(RoleUpdate, update_role, "Change a custom role; built-in roles are read-only."),
    delete=Delete(delete_role, "Delete a custom role that nobody holds (409 otherwise)."),
    list_description="Roles usable in the given scopes (`scope_ids` is required).",
)
