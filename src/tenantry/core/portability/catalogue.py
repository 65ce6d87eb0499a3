"""Which tables an archive carries, and which of their columns hold ids to rewrite.

Tables are discovered from the models' metadata: every table with a ``tenant_id`` column is a
tenant table, so a table added later travels without touching this module. Foreign-key
columns are known from the metadata too. What the metadata cannot say is declared here:
integer columns that hold ids without a foreign key (polymorphic ``model_id``, denormalised
``scope_id``), JSON columns holding lists of ids, secrets, and credential tables, which are
re-issued on import rather than copied. ``tests/core/portability`` fails when a new integer
or JSON column appears that is declared neither way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, Column, Integer, MetaData, Table

TENANT_COLUMN = "tenant_id"

CREDENTIAL_TABLES: frozenset[str] = frozenset(
    {
        "percolate_api_keys",
        "percolate_oauth_client_directory",
        "percolate_oauth_clients",
        "percolate_oauth_codes",
        "percolate_oauth_grants",
        "percolate_oauth_tokens",
        "perscom_api_keys",
        "perscom_oauth_client_directory",
        "perscom_oauth_clients",
        "perscom_oauth_codes",
        "perscom_oauth_tokens",
        "web_recovery_codes",
        "web_two_factor",
    }
)
"""Keys, tokens, client secrets, TOTP seeds: never copied; the import issues fresh ones."""

INSTALLATION_TABLES: frozenset[str] = frozenset({"jobs", "audit_entries", "audit_heads"})
"""Rows about this installation's machinery (queued work), not about the organisation, and
the audit log: its hash chain covers this installation's ids and credentials, which an
import re-allocates and re-issues, so the copy starts a chain of its own (decisions.md)."""

ID_COLUMNS: Mapping[str, frozenset[str]] = {
    "percolate_approval_feedback": frozenset({"post_id", "user_id"}),
    "percolate_approval_workflows": frozenset({"user_id"}),
    "percolate_asset_versions": frozenset({"creator_id"}),
    "percolate_assets": frozenset({"creator_id", "trashed_with"}),
    "percolate_comments": frozenset({"object_key", "scope_id", "user_id"}),
    "percolate_exports": frozenset({"user_id"}),
    "percolate_folders": frozenset({"creator_id", "trashed_with"}),
    "percolate_metadata": frozenset({"object_key", "scope_id"}),
    "percolate_metadata_values": frozenset({"object_key", "schema_id"}),
    "percolate_posts": frozenset({"user_id", "assignee_id", "platform_id"}),
    "percolate_schemas": frozenset({"platform_key"}),
    "percolate_short_link_codes": frozenset({"link_id"}),
    "percolate_short_links": frozenset({"scope_id"}),
    "percolate_terms": frozenset({"scope_key", "parent_key"}),
    "percolate_uploads": frozenset({"asset_id", "destination_id", "creator_id"}),
    "percolate_user_role_imports": frozenset({"account_id", "creator_id"}),
    "perscom_attachments": frozenset({"model_id"}),
    "perscom_categorizables": frozenset({"model_id"}),
    "perscom_comments": frozenset({"model_id"}),
    "perscom_images": frozenset({"model_id"}),
    "perscom_model_has_fields": frozenset({"model_id"}),
    "perscom_model_has_statuses": frozenset({"model_id"}),
    "perscom_newsfeed": frozenset({"subject_id"}),
    "perscom_records_trainings": frozenset({"event_id"}),
    "perscom_schedules": frozenset({"model_id"}),
    "perscom_task_assignments": frozenset({"assigned_by_id"}),
    "perscom_taggables": frozenset({"model_id"}),
    "perscom_tasks": frozenset({"form_id"}),
    "webhook_deliveries": frozenset({"replay_of"}),
}
"""Integer columns holding ids of this tenant's rows (or the tenant's own id) without a
foreign key. Ids are unique across the whole installation, so one old → new map serves every
column whatever table it points into, polymorphic ones included."""

CLEARED_COLUMNS: Mapping[str, frozenset[str]] = {
    "webhook_deliveries": frozenset({"job_id"}),
}
"""References to installation rows that do not travel (a job): emptied on import."""

PLAIN_INTEGERS: Mapping[str, frozenset[str]] = {
    "perscom_activity": frozenset({"status", "duration_ms"}),
    "perscom_awards": frozenset({"order"}),
    "perscom_categorizables": frozenset({"order"}),
    "perscom_credentials": frozenset({"order"}),
    "perscom_group_units": frozenset({"order"}),
    "perscom_groups": frozenset({"order"}),
    "perscom_model_has_fields": frozenset({"order"}),
    "perscom_positions": frozenset({"order"}),
    "perscom_qualifications": frozenset({"order"}),
    "perscom_ranks": frozenset({"order"}),
    "perscom_records_ranks": frozenset({"type"}),
    "perscom_schedules": frozenset({"duration"}),
    "perscom_slots": frozenset({"order"}),
    "perscom_specialties": frozenset({"order"}),
    "perscom_statuses": frozenset({"order"}),
    "perscom_unit_slots": frozenset({"order"}),
    "perscom_units": frozenset({"order"}),
    "users": frozenset({"session_version"}),
    "percolate_asset_versions": frozenset({"number", "size", "width", "height"}),
    "percolate_assets": frozenset({"size", "width", "height"}),
    "percolate_exports": frozenset({"rows_done", "rows_total", "size"}),
    "percolate_metadata": frozenset({"schema_version"}),
    "percolate_metadata_values": frozenset({"position"}),
    "percolate_posts": frozenset({"schema_version"}),
    "percolate_schema_versions": frozenset({"version"}),
    "percolate_schemas": frozenset({"version"}),
    "percolate_short_links": frozenset({"clicks"}),
    "percolate_terms": frozenset({"depth"}),
    "percolate_user_role_imports": frozenset({"row_count", "created_count", "error_count"}),
    "percolate_variants": frozenset({"size", "width", "height"}),
    "scope_links": frozenset({"distance"}),
    "scopes": frozenset({"depth"}),
    "webhook_deliveries": frozenset({"attempt", "response_status", "duration_ms"}),
}
"""Integer columns that are counts, sizes or orders: copied as they are."""

JSON_ID_LISTS: Mapping[str, frozenset[str]] = {
    "percolate_channels": frozenset({"term_ids"}),
    "percolate_comments": frozenset({"mentions"}),
    "percolate_posts": frozenset({"term_ids", "origin_ids"}),
    "percolate_short_links": frozenset({"tracking_tag_ids"}),
    "perscom_messages": frozenset({"recipients"}),
}
"""JSON columns whose integers are ids (``[620, 624]``)."""

PLAIN_JSON: Mapping[str, frozenset[str]] = {
    "percolate_asset_versions": frozenset({"exif"}),
    "percolate_assets": frozenset({"tags", "exif"}),
    "percolate_comments": frozenset({"context_ext"}),
    "percolate_exports": frozenset({"fields", "scope_ids", "filters"}),
    "percolate_metadata": frozenset({"ext"}),
    "percolate_posts": frozenset({"ext"}),
    "percolate_schema_versions": frozenset({"definition"}),
    "percolate_schemas": frozenset({"limit_resource_types", "ext"}),
    "percolate_uploads": frozenset({"ext"}),
    "percolate_user_role_imports": frozenset({"errors"}),
    "percolate_webhooks": frozenset({"events"}),
    "perscom_activity": frozenset({"request_headers", "response_headers"}),
    "perscom_events": frozenset({"notifications_interval", "notifications_channels"}),
    "perscom_fields": frozenset({"options"}),
    "perscom_messages": frozenset({"channels"}),
    "perscom_settings": frozenset({"payload"}),
    "perscom_submissions": frozenset({"data", "files"}),
    "perscom_user_profiles": frozenset({"data", "files"}),
    "perscom_webhooks": frozenset({"events"}),
}
"""JSON columns copied as they are, apart from the rewrites every string gets: typed ids
(``asset:685``) and storage keys (``assets/<tenant>/685/a.jpg``) of this tenant."""

PATH_COLUMNS: Mapping[str, frozenset[str]] = {
    "percolate_terms": frozenset({"path"}),
}
"""Strings of ``/``-separated ancestor ids (``/619/620/``)."""

SECRET_COLUMNS: Mapping[str, frozenset[str]] = {
    "percolate_webhooks": frozenset({"secret"}),
    "perscom_webhooks": frozenset({"secret"}),
}
"""Signing secrets kept in clear: left out of the archive, generated afresh on import."""


@dataclass(frozen=True)
class TablePlan:
    """How one tenant table's rows are rewritten on import."""

    table: Table
    id_columns: frozenset[str]
    """Every column holding an id of this tenant: the own ``id``, foreign keys, declared ones."""
    self_references: frozenset[str]
    """Foreign-key columns into the same table: written after all its rows exist."""
    json_id_lists: frozenset[str]
    path_columns: frozenset[str]
    cleared: frozenset[str]
    secrets: frozenset[str]

    @property
    def name(self) -> str:
        return self.table.name


def tenant_tables(metadata: MetaData) -> list[Table]:
    """Every tenant table that travels, parents before children."""
    skipped = CREDENTIAL_TABLES | INSTALLATION_TABLES
    return [
        table
        for table in metadata.sorted_tables
        if TENANT_COLUMN in table.c and table.name not in skipped
    ]


def _holds_ids(column: Column[Any]) -> bool:
    """Whether a referred column holds ids (``id``, or a key that is itself a reference),
    rather than a plain value such as a schema's ``version``."""
    if column.name == "id":
        return True
    if column.name == TENANT_COLUMN:
        return False
    table = column.table
    if column.name in ID_COLUMNS.get(str(table.name), ()):
        return True
    return any(
        element.parent is column and element.column is not column and _holds_ids(element.column)
        for constraint in getattr(table, "foreign_key_constraints", ())
        for element in constraint.elements
    )


def plan(table: Table) -> TablePlan:
    ids: set[str] = set(ID_COLUMNS.get(table.name, ()))
    own: set[str] = set()
    for constraint in table.foreign_key_constraints:
        columns = {
            element.parent.name for element in constraint.elements if _holds_ids(element.column)
        } - {TENANT_COLUMN}
        ids |= columns
        if constraint.referred_table is table:
            own |= columns
    if "id" in table.c:
        ids.add("id")
    return TablePlan(
        table=table,
        id_columns=frozenset(ids),
        self_references=frozenset(own),
        json_id_lists=JSON_ID_LISTS.get(table.name, frozenset()),
        path_columns=PATH_COLUMNS.get(table.name, frozenset()),
        cleared=CLEARED_COLUMNS.get(table.name, frozenset()),
        secrets=SECRET_COLUMNS.get(table.name, frozenset()),
    )


def undeclared_columns(table: Table) -> list[str]:
    """Integer and JSON columns this module does not know how to treat (must stay empty)."""
    tenant_plan = plan(table)
    known = (
        tenant_plan.id_columns
        | tenant_plan.cleared
        | PLAIN_INTEGERS.get(table.name, frozenset())
        | tenant_plan.json_id_lists
        | PLAIN_JSON.get(table.name, frozenset())
        | {TENANT_COLUMN}
    )
    return [
        column.name
        for column in table.columns
        if isinstance(column.type, Integer | JSON) and column.name not in known
    ]
