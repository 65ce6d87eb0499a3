"""``/api/v5/term/`` (reference §3.14): tags and taxonomy trees."""

from __future__ import annotations

from tenantry.percolate.api.routes import Create, Update, resource_router
from tenantry.percolate.term.bodies import TermCreate, TermUpdate
from tenantry.percolate.term.declaration import RESOURCE
from tenantry.percolate.term.service import create_term, update_term

router = resource_router(
    RESOURCE,
    create=Create(TermCreate, create_term, "Create a term, at the top or under a parent term."),
    update=Update(TermUpdate, update_term, "Rename, re-parent (no cycles) or (de)activate a term."),
    list_description=(
        "Terms. Send at least one of ids, scope_ids, parent_ids; depth and search are optional."
    ),
)
