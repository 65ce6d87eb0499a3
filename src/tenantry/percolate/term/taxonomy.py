"""``/api/v5/taxonomy/``: the taxonomy trees among the terms, named by their root term.

A taxonomy is not a table of its own: a top-level term with children is the root of one
(the same rule that gives terms their ``taxonomy_id``). The WordPress plugin reads each
taxonomy's ``root_id`` and then walks the terms below it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select

from tenantry.percolate.api.common import owned_by_scopes, visible_in_reach
from tenantry.percolate.api.context import V5Context
from tenantry.percolate.api.fields import column, id_schema, scope, timestamp, typed_id
from tenantry.percolate.api.ids import IdKind
from tenantry.percolate.api.params import csv_param
from tenantry.percolate.api.resource import ListFilter, OrderField, Resource, date_range
from tenantry.percolate.api.routes import resource_router
from tenantry.percolate.term.declaration import has_children
from tenantry.percolate.term.models import Term

KIND = IdKind("taxonomy")
_IN_REACH = visible_in_reach("term:read", Term.scope_id)


async def _roots_in_reach(stmt: Select[Any], ctx: V5Context) -> Select[Any]:
    return await _IN_REACH(stmt.where(Term.parent_id.is_(None), has_children()), ctx)


async def _any_platform(stmt: Select[Any], _values: dict[str, Any], _ctx: V5Context) -> Select[Any]:
    # Terms are not tied to platforms here: every taxonomy serves every platform.
    return stmt


RESOURCE = Resource(
    kind=KIND,
    model=Term,
    title="Taxonomy",
    fields=(
        typed_id("taxonomy", Term.id),
        typed_id("term", Term.id, name="root_id", schema=id_schema("term")),
        column(Term.name, {"type": "string"}),
        column(Term.namespace, {"type": "string"}),
        scope(Term.scope_id),
        column(Term.status, {"type": "string", "enum": ["active", "inactive"]}),
        timestamp(Term.created_at),
        timestamp(Term.updated_at),
    ),
    visible=_roots_in_reach,
    order_fields={"name": OrderField(Term.name_key), "created_at": OrderField(Term.created_at)},
    filters=(
        owned_by_scopes(Term.scope_id),
        ListFilter(
            (
                csv_param(
                    "ext.platform_ids",
                    "A CSV of platform IDs; every taxonomy applies to every platform.",
                    pattern=r"^platform:\d{1,18}$",
                ),
            ),
            _any_platform,
        ),
        date_range("created_at", Term.created_at),
    ),
)

router = resource_router(
    RESOURCE,
    list_description="Taxonomies: the top-level terms that have terms below them.",
)
