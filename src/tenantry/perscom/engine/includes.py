"""``?include=a,b.c``: checked against the whitelist, then one ``IN`` query per relation.

Related rows are loaded for a whole page at once and attached to their parents under the
relation's snake_case name (``null`` for a missing to-one, ``[]`` for an empty to-many).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, select

from tenantry.core.errors import FieldError
from tenantry.core.resources.scoped import of_tenant, same_tenant
from tenantry.core.resources.sideload import among_keys, keys_to_load
from tenantry.core.resources.sql import Database, db_dialect, mapping
from tenantry.perscom.engine.declaration import (
    BelongsTo,
    BelongsToMany,
    HasMany,
    HasManyThrough,
    MorphOne,
    MorphTo,
    RenderContext,
)
from tenantry.perscom.engine.deferred import present
from tenantry.perscom.engine.problems import failure, not_whitelisted
from tenantry.perscom.engine.query import IncludeItem, include_filters
from tenantry.perscom.engine.runtime import BoundRelation, Compiled, Registry, format_datetime

MAX_INCLUDES = 50
THROUGH_LINK = "through__parent"
"""The label of a has-many-through row's parent id (the through row's pointer)."""


@dataclass
class IncludeNode:
    relation: BoundRelation
    children: dict[str, IncludeNode] = field(default_factory=dict)
    condition: ColumnElement[bool] | None = None
    limit: int | None = None
    pivot_alias: str | None = None
    """Also show each related row's pivot under this name (``BelongsToMany.pivot_include``)."""


IncludeTree = dict[str, IncludeNode]


def parse_includes(
    resource: Compiled,
    raw: str | None,
    items: Sequence[IncludeItem] = (),
    *,
    allowed: bool = True,
) -> IncludeTree:
    """The include tree of a request; 422 for anything not whitelisted or not a relation."""
    paths = [p.strip() for p in raw.split(",")] if raw else []
    paths = [p for p in paths if p]
    errors: list[FieldError] = []
    if len(paths) + len(items) > MAX_INCLUDES:
        raise failure([FieldError("include", f"At most {MAX_INCLUDES} includes are allowed.")])
    tree: IncludeTree = {}
    for path in paths:
        if not allowed or not resource.include_list.allows(path):
            errors.append(not_whitelisted("include", path))
            continue
        if _add(resource, tree, path) is None:
            errors.append(FieldError("include", f"The {path} relation does not exist.", path))
    for index, item in enumerate(items):
        key = f"includes.{index}.relation"
        if not allowed or not resource.include_list.allows(item.relation):
            errors.append(not_whitelisted(key, item.relation))
            continue
        node = _add(resource, tree, item.relation)
        if node is None:
            errors.append(FieldError(key, f"The {item.relation} relation does not exist."))
            continue
        target = node.relation.target
        if item.filters and target is not None:
            node.condition = include_filters(target, item.filters, f"includes.{index}.filters")
        node.limit = item.limit
    if errors:
        raise failure(errors)
    return tree


def _add(resource: Compiled, tree: IncludeTree, path: str) -> IncludeNode | None:
    current = resource
    level = tree
    node: IncludeNode | None = None
    parts = path.split(".")
    for index, part in enumerate(parts):
        relation = current.relations.get(part)
        if relation is None:
            if node is not None and index == len(parts) - 1 and _names_pivot(node, part):
                node.pivot_alias = part
                return node
            return None
        node = level.get(part)
        if node is None:
            node = level[part] = IncludeNode(relation)
        if relation.target is None:  # a morph-to: nothing below it can be checked
            return node if part == path.split(".")[-1] else None
        current = relation.target
        level = node.children
    return node


def _names_pivot(node: IncludeNode, part: str) -> bool:
    spec = node.relation.spec
    return isinstance(spec, BelongsToMany) and spec.pivot_include == part


def relation_statement(
    relation: BoundRelation, dialect: str, condition: ColumnElement[bool] | None = None
) -> Any:
    """The include query of a relation for a whole page of parents.

    Parameters: ``tenant`` and ``keys`` (the parent ids, or the foreign keys of a
    belongs-to): a PostgreSQL array (``= ANY($2)``, one statement text whatever the page
    size), an expanding ``IN`` list on SQLite. Related rows obey the target's default
    filter, as Laravel's global scopes apply to eager loads too.
    """
    spec = relation.spec
    target = relation.required_target()

    def among(column: ColumnElement[Any]) -> ColumnElement[bool]:
        return among_keys(column, dialect)

    where: list[ColumnElement[bool]] = [of_tenant(target.table, bindparam("tenant"))]
    if target.decl.default_filter is not None:
        where.append(target.decl.default_filter(target))
    if condition is not None:
        where.append(condition)
    if isinstance(spec, BelongsTo):
        return (
            select(*target.select_columns)
            .select_from(target.from_clause)
            .where(among(target.id_col), *where)
        )
    if isinstance(spec, HasMany):
        return (
            select(*target.select_columns)
            .select_from(target.from_clause)
            .where(
                among(target.columns[spec.key]),
                *(target.columns[c] == v for c, v in spec.where),
                *where,
            )
            .order_by(*target.default_order)
        )
    if isinstance(spec, HasManyThrough):
        through = spec.through
        return (
            select(*target.select_columns, through.c[spec.through_key].label(THROUGH_LINK))
            .select_from(
                target.from_clause.join(
                    through,
                    and_(
                        same_tenant(through, target.table),
                        through.c.id == target.columns[spec.key],
                    ),
                )
            )
            .where(among(through.c[spec.through_key]), *where)
            .order_by(*target.default_order)
        )
    if isinstance(spec, MorphOne):
        return (
            select(*target.select_columns)
            .select_from(target.from_clause)
            .where(
                target.columns[spec.type_field] == relation.owner.decl.morph_type,
                among(target.columns[spec.id_field]),
                *where,
            )
            .order_by(target.id_col)
        )
    if isinstance(spec, BelongsToMany):
        pivot = spec.pivot
        shown = pivot_columns(spec)
        return (
            select(*target.select_columns, *(pivot.c[c].label(f"pivot__{c}") for c in shown))
            .select_from(
                target.from_clause.join(
                    pivot,
                    and_(
                        same_tenant(pivot, target.table),
                        pivot.c[spec.related_key] == target.id_col,
                    ),
                )
            )
            .where(
                among(pivot.c[spec.parent_key]),
                *(pivot.c[c] == v for c, v in spec.pivot_where),
                *where,
            )
            .order_by(*_pivot_order(spec), *target.default_order)
        )
    raise TypeError(f"relation {relation.name} has no include query")


def prepare(registry: Registry, dialect: str) -> list[Any]:
    """Build every relation's include query once, at start-up; returns them."""
    prepared = []
    for resource in registry:
        for relation in resource.relations.values():
            if relation.target is not None:
                relation.prepared = relation_statement(relation, dialect)
                prepared.append(relation.prepared)
    return prepared


async def load_includes(
    db: Database,
    registry: Registry,
    tenant_id: int,
    tree: IncludeTree,
    parents: Sequence[dict[str, Any]],
    context: RenderContext,
) -> None:
    """Attach every relation of ``tree`` to ``parents``, one query per relation and level."""
    if not parents:
        return
    for name, node in tree.items():
        relation = node.relation
        spec = relation.spec
        if isinstance(spec, MorphTo):
            # Nothing below a morph-to can be whitelisted: its target differs per row.
            await _morph_to(db, registry, tenant_id, spec, parents, name, context)
            continue
        target = relation.required_target()
        pointer = spec.key if isinstance(spec, BelongsTo) else "id"
        keys = keys_to_load(parents, lambda parent: (parent.get(pointer),))  # noqa: B023 (used now)
        loaded: list[dict[str, Any]] = []
        rows: list[Any] = []
        if keys:
            statement = (
                relation.prepared
                if node.condition is None and relation.prepared is not None
                else relation_statement(relation, db_dialect(db), node.condition)
            )
            rows = list(await db.rows(statement, {"tenant": tenant_id, "keys": keys}))
        items = await present(db, target, tenant_id, rows, context)
        if isinstance(spec, BelongsTo | MorphOne):
            found: dict[Any, dict[str, Any]] = {}
            link = "id" if isinstance(spec, BelongsTo) else spec.id_field
            for row, item in zip(rows, items, strict=True):
                found.setdefault(mapping(row)[link], item)
            pointer = spec.key if isinstance(spec, BelongsTo) else "id"
            for parent in parents:
                key = parent.get(pointer)
                parent[name] = found.get(key) if key is not None else None
            # Parents sharing a target share one dict; nested includes then attach once.
            loaded = list(found.values())
        else:
            grouped: dict[Any, list[dict[str, Any]]] = defaultdict(list)
            link = (
                f"pivot__{spec.parent_key}"
                if isinstance(spec, BelongsToMany)
                else THROUGH_LINK
                if isinstance(spec, HasManyThrough)
                else spec.key
            )
            for row, item in zip(rows, items, strict=True):
                if isinstance(spec, BelongsToMany):
                    item["pivot"] = pivot_of(spec, row)
                    if node.pivot_alias is not None:
                        item[node.pivot_alias] = item["pivot"]
                bucket = grouped[mapping(row)[link]]
                if node.limit is None or len(bucket) < node.limit:
                    bucket.append(item)
                    loaded.append(item)
            for parent in parents:
                parent[name] = grouped.get(parent["id"], [])
        if node.children and loaded:
            await load_includes(db, registry, tenant_id, node.children, loaded, context)


def pivot_columns(spec: BelongsToMany) -> list[str]:
    """What a pivot shows: both keys, the pinned morph columns, then the pivot fields."""
    shown = [spec.parent_key, spec.related_key]
    shown += [c for c, _ in spec.pivot_where if c not in shown]
    shown += [c for c in spec.pivot_fields if c not in shown]
    return shown


def pivot_of(spec: BelongsToMany, row: Any) -> dict[str, Any]:
    values = mapping(row)
    pivot = {c: values[f"pivot__{c}"] for c in pivot_columns(spec)}
    if spec.pivot_appends is not None:
        spec.pivot_appends(pivot)
    return {k: format_datetime(v) if isinstance(v, datetime) else v for k, v in pivot.items()}


def _pivot_order(spec: BelongsToMany) -> list[ColumnElement[Any]]:
    return [spec.pivot.c.order.asc()] if "order" in spec.pivot.c else []


async def _morph_to(
    db: Database,
    registry: Registry,
    tenant_id: int,
    spec: MorphTo,
    parents: Sequence[dict[str, Any]],
    name: str,
    context: RenderContext,
) -> list[dict[str, Any]]:
    wanted: dict[str, set[int]] = defaultdict(set)
    for parent in parents:
        kind, key = parent.get(spec.type_field), parent.get(spec.id_field)
        if isinstance(kind, str) and isinstance(key, int):
            wanted[kind].add(key)
    found: dict[tuple[str, int], dict[str, Any]] = {}
    for kind, keys in wanted.items():
        target = registry.morph_types.get(kind)
        if target is None:
            continue
        statement = (
            select(*target.select_columns)
            .select_from(target.from_clause)
            .where(target.tenant_col == tenant_id, target.id_col.in_(keys))
        )
        rows = await db.rows(statement)
        for item in await present(db, target, tenant_id, rows, context):
            found[(kind, item["id"])] = item
    for parent in parents:
        kind, key = parent.get(spec.type_field), parent.get(spec.id_field)
        match = isinstance(kind, str) and isinstance(key, int)
        parent[name] = found.get((str(kind), int(key))) if match and key is not None else None
    return list(found.values())
