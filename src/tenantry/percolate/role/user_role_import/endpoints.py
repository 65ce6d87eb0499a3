"""``/api/v5/user_role_import/`` (reference §3.19): start an import, read its per-row results."""

from __future__ import annotations

from tenantry.percolate.api.routes import Create, resource_router
from tenantry.percolate.role.user_role_import.bodies import UserRoleImportCreate
from tenantry.percolate.role.user_role_import.declaration import RESOURCE
from tenantry.percolate.role.user_role_import.service import create_import

router = resource_router(
    RESOURCE,
    create=Create(
        UserRoleImportCreate,
        create_import,
        "Import user roles from a CSV asset (`user:update` account-wide); a job applies it.",
    ),
    list_description="The account's user-role imports.",
)
