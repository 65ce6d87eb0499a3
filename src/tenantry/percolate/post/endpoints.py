"""``/api/v5/post/`` (reference §3.9): typed content on a channel, moving through its life cycle."""

from __future__ import annotations

from tenantry.percolate.api.routes import Create, Delete, Update, resource_router
from tenantry.percolate.post.bodies import PostCreate, PostUpdate
from tenantry.percolate.post.declaration import RESOURCE
from tenantry.percolate.post.service import create_post, delete_post, update_post

router = resource_router(
    RESOURCE,
    create=Create(
        PostCreate,
        create_post,
        "Create a post on a channel; `ext` is validated against the post schema version.",
    ),
    update=Update(
        PostUpdate,
        update_post,
        "Change a post; status changes follow the life cycle (illegal ones: 409).",
    ),
    delete=Delete(delete_post, "Delete a post."),
    list_description=(
        "Posts visible to the caller; `statuses` takes `queued.*` wildcards, `scope_ids`"
        " with `extend_scopes`, `live_at:from`/`:to`, `keywords`, `name`; `term_ids`,"
        " `asset_ids`, `origin_ids` match posts referring to any of them. Metadata filters"
        " are query keys of their own: `metadata.{schema}.{path}=csv` (values OR),"
        " `metadata.{schema}.{path}.from` (inclusive) / `.to` (exclusive) on dates, and"
        " `has_metadata.{schema}.{path}=true|false`, e.g."
        " `metadata.schema:1.live_date_range/from.from=2016-01-01`. Every filter ANDs with"
        " the others. This server shares no posts across scopes (`access_scopes=shared`"
        " matches none), keeps no topics (`topic_ids` matches none) and has no interactions"
        " (`is_interaction=true` matches none)."
    ),
)
