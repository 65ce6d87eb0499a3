"""``/api/v5/user_role/``: a role granted to a user in a scope (reference §3.18)."""

from __future__ import annotations

from tenantry.percolate.api.routes import Create, Delete, resource_router
from tenantry.percolate.role.user_role.bodies import UserRoleBody
from tenantry.percolate.role.user_role.declaration import RESOURCE
from tenantry.percolate.role.user_role.service import create_user_role, delete_user_role

router = resource_router(
    RESOURCE,
    create=Create(
        UserRoleBody, create_user_role, "Grant a role to a user in a scope (`user:update`)."
    ),
    delete=Delete(delete_user_role, "Revoke a user role."),
    list_description=(
        "User roles. With `scope_ids`, the grants that apply in those scopes: made there,"
        " inherited from above (unless `exclude_hierarchical`), and below them with"
        " `extend_scopes`."
    ),
)
