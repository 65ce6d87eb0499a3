"""``/api/v5/link/`` (a Tenantry addition): the short links of posts and their clicks."""

from __future__ import annotations

from tenantry.percolate.api.routes import resource_router
from tenantry.percolate.link.declaration import RESOURCE

router = resource_router(
    RESOURCE,
    list_description=(
        "A Tenantry addition: the short links the links plugin made for posts, with their"
        " click counts (`clicks`); readable by whoever may read the post."
    ),
)
