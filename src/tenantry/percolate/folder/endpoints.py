"""``/api/v5/folder/`` (reference §3.3): a library's folders, their moves, trash and restore."""

from __future__ import annotations

from tenantry.percolate.api.routes import Create, Delete, Update, resource_router
from tenantry.percolate.folder.bodies import FolderCreate, FolderUpdate
from tenantry.percolate.folder.declaration import RESOURCE
from tenantry.percolate.folder.service import create_folder, delete_folder, update_folder

router = resource_router(
    RESOURCE,
    create=Create(FolderCreate, create_folder, "Create a folder (`folders:create`)."),
    update=Update(
        FolderUpdate,
        update_folder,
        "Update, move or restore a folder; a stale `updated_at` is a 409.",
    ),
    delete=Delete(delete_folder, "Move the folder and its whole subtree to the trashcan."),
    list_description="Folders directly inside `parent_ids` (default the root) unless `recursive`.",
)
