"""``/api/v5/scope/``: license groups, licenses and brands of the account (Tenantry addition)."""

from __future__ import annotations

from tenantry.percolate.api.routes import Create, Update, resource_router
from tenantry.percolate.scope.bodies import ScopeCreate, ScopeUpdate
from tenantry.percolate.scope.declaration import RESOURCE
from tenantry.percolate.scope.service import create_scope, update_scope

router = resource_router(
    RESOURCE,
    create=Create(ScopeCreate, create_scope, "Create a license group, license or brand."),
    update=Update(ScopeUpdate, update_scope, "Rename a scope."),
    list_description="License groups, licenses and brands of the account (Tenantry addition).",
)
