"""Rows to entities, with the values some computed fields read afterwards (``Later``).

A resource whose computed fields declare ``later`` values gets one extra query per batch of
rows, and only for the rows that want them (records that name a document); every other
resource turns rows into entities exactly as :func:`~tenantry.perscom.engine.serialize.entity`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import BigInteger, bindparam, select

from tenantry.core.resources.sideload import among_keys
from tenantry.core.resources.sql import Database, mapping
from tenantry.perscom.engine.declaration import RenderContext
from tenantry.perscom.engine.runtime import Compiled, Registry
from tenantry.perscom.engine.serialize import entity

LATER_ID = "_later_id"


def prepare(registry: Registry, dialect: str) -> list[Any]:
    """Build each resource's later-values query once, at start-up; returns them."""
    prepared = []
    for resource in registry:
        later = [c.later for c in resource.computed if c.later is not None]
        if not later:
            continue
        columns = [expr.label(key) for spec in later for key, expr in spec.sql(resource).items()]
        resource.later_statement = (
            select(resource.id_col.label(LATER_ID), *columns)
            .select_from(resource.from_clause)
            .where(
                resource.tenant_col == bindparam("tenant", type_=BigInteger),
                among_keys(resource.id_col, dialect),
            )
        )
        prepared.append(resource.later_statement)
    return prepared


async def present(
    db: Database,
    resource: Compiled,
    tenant_id: int,
    rows: Sequence[Any],
    context: RenderContext,
) -> list[dict[str, Any]]:
    """``rows`` as entities, in order, the later values read for the rows that want them."""
    statement = resource.later_statement
    if statement is None:
        return [entity(resource, row, context) for row in rows]
    wants = [c.later.wanted for c in resource.computed if c.later is not None]
    keys = sorted(
        {
            int(values["id"])
            for values in (mapping(row) for row in rows)
            if any(wanted(values) for wanted in wants)
        }
    )
    found: dict[int, dict[str, Any]] = {}
    if keys:
        for row in await db.rows(statement, {"tenant": tenant_id, "keys": keys}):
            values = dict(mapping(row))
            found[int(values.pop(LATER_ID))] = values
    return [entity(resource, row, context, found.get(int(mapping(row)["id"]))) for row in rows]
