"""``/api/v5/comment/`` (reference §3.11): comments on posts and channels."""

from __future__ import annotations

from tenantry.percolate.api.routes import Create, Delete, Update, resource_router
from tenantry.percolate.comment.bodies import CommentCreate, CommentUpdate
from tenantry.percolate.comment.declaration import RESOURCE
from tenantry.percolate.comment.service import create_comment, delete_comment, update_comment

router = resource_router(
    RESOURCE,
    create=Create(CommentCreate, create_comment, "Comment on a post or channel (replies, pins)."),
    update=Update(
        CommentUpdate, update_comment, "Edit a comment (its author or `comment:manage`)."
    ),
    delete=Delete(delete_comment, "Delete a comment and its replies (author or `comment:manage`)."),
    list_description="Comments; send ids or object_ids (else 400).",
)
