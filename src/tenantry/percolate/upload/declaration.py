"""The upload resource (reference §3.4): a file on its way into a library, and its status."""

from __future__ import annotations

from tenantry.percolate.api.common import owned_by_scopes, visible_in_reach
from tenantry.percolate.api.fields import (
    column,
    constant,
    nullable,
    scope,
    timestamp,
    typed_id,
)
from tenantry.percolate.api.ids import IdKind
from tenantry.percolate.api.params import csv_param
from tenantry.percolate.api.resource import OrderField, Resource, column_in, date_range
from tenantry.percolate.upload.models import Upload

KIND = IdKind("upload")
STATUSES = ("uploading", "ready", "duplicate", "exists", "error")
UPLOAD_TYPES = ("url", "file")

RESOURCE = Resource(
    kind=KIND,
    model=Upload,
    title="Upload",
    fields=(
        typed_id("upload", Upload.id),
        scope(Upload.scope_id),
        column(Upload.type, {"type": "string", "enum": list(UPLOAD_TYPES)}),
        column(Upload.status, {"type": "string", "enum": list(STATUSES)}),
        typed_id("asset", Upload.asset_id),
        column(
            Upload.destination_id,
            {"type": "string", "pattern": r"^folder:(primary|\d+)$"},
            convert=lambda folder: f"folder:{folder}" if folder else "folder:primary",
        ),
        constant("approval_group_id", None, nullable({"type": "string"})),
        column(Upload.ext, {"type": "object"}, empty_as="object"),
        column(Upload.error, nullable({"type": "string"})),
        timestamp(Upload.created_at),
        timestamp(Upload.updated_at),
    ),
    visible=visible_in_reach("asset:upload", Upload.scope_id),
    order_fields={"created_at": OrderField(Upload.created_at)},
    default_order=("created_at", "desc"),
    filters=(
        owned_by_scopes(Upload.scope_id),
        column_in(csv_param("statuses", "A CSV of statuses.", enum=STATUSES), Upload.status),
        date_range("created_at", Upload.created_at),
    ),
)
