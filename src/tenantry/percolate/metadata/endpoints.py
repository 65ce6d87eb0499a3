"""``/api/v5/metadata/`` (reference §3.13): schema-typed values about an object."""

from __future__ import annotations

from tenantry.percolate.api.routes import Create, Delete, Update, resource_router
from tenantry.percolate.metadata.bodies import MetadataCreate, MetadataUpdate
from tenantry.percolate.metadata.declaration import RESOURCE
from tenantry.percolate.metadata.service import create_metadata, delete_metadata, update_metadata

router = resource_router(
    RESOURCE,
    create=Create(
        MetadataCreate,
        create_metadata,
        "Write metadata of a metadata schema about a post or channel.",
    ),
    update=Update(
        MetadataUpdate, update_metadata, "Replace the values (checked by the record's version)."
    ),
    delete=Delete(delete_metadata, "Delete an object's metadata of one schema."),
    list_description="Metadata of objects the caller may read; filter by object_ids, schema_id.",
)
