"""The rows an endpoint addresses: a whole resource, or the rows related to one parent.

``/ranks`` addresses every rank of the tenant; ``/groups/5/units`` the units attached to
group 5 (through the pivot, whose columns ride along as ``pivot``); ``/users/5/rank`` the one
rank user 5 points at; ``/ranks/5/image`` the image that names rank 5. Every action of the
engine is written once against this interface, so nested endpoints cost no extra code.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    FromClause,
    Integer,
    String,
    and_,
    bindparam,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from tenantry.core.base import UTCDateTime, utcnow
from tenantry.core.errors import FieldError, NotFound
from tenantry.core.ids import allocate_ids
from tenantry.core.resources.paging import PageStatements, count_of
from tenantry.core.resources.scoped import of_tenant, readable, same_tenant
from tenantry.perscom.engine.declaration import BelongsTo, BelongsToMany, HasMany, MorphOne
from tenantry.perscom.engine.includes import pivot_columns, pivot_of
from tenantry.perscom.engine.problems import failure
from tenantry.perscom.engine.runtime import (
    INT64_MAX,
    INT64_MIN,
    TEXT_MAX,
    BoundRelation,
    Compiled,
    Registry,
    parse_datetime,
)

PIVOT_PREFIX = "pivot__"


class RowSet:
    """Every row of ``resource`` in the tenant."""

    listable = True
    can_store = True

    def __init__(self, resource: Compiled) -> None:
        self.resource = resource

    def source(self) -> FromClause:
        return self.resource.from_clause

    def conditions(self) -> list[ColumnElement[bool]]:
        return []

    def extra_columns(self) -> list[ColumnElement[Any]]:
        return []

    def decorate(self, item: dict[str, Any], row: Any) -> None:
        return None

    def create_defaults(self) -> dict[str, Any]:
        return {}

    def page_params(self, tenant_id: int) -> dict[str, Any] | None:
        """Parameters of a prepared plain index of these rows, if there is one."""
        return None

    def pivot_input(self, payload: Mapping[str, Any], key: str) -> dict[str, Any] | None:
        return None

    def fill(self, payload: Any) -> Any:
        """A create body completed by the path (a nested store's parent key)."""
        return payload

    async def after_create(
        self, conn: AsyncConnection, tenant_id: int, row_id: int, pivot: dict[str, Any] | None
    ) -> None:
        return None

    async def after_update(
        self, conn: AsyncConnection, tenant_id: int, row_id: int, pivot: dict[str, Any] | None
    ) -> None:
        return None


class ManyRowSet(RowSet):
    """Rows attached to one parent through a pivot (``/groups/{id}/units``)."""

    def __init__(self, relation: BoundRelation, parent_id: int) -> None:
        super().__init__(relation.required_target())
        spec = relation.spec
        assert isinstance(spec, BelongsToMany)
        self.relation = relation
        self.spec = spec
        self.parent_id = parent_id
        self.pivot = spec.pivot

    def source(self) -> FromClause:
        target = self.resource
        return target.from_clause.join(
            self.pivot,
            and_(
                same_tenant(self.pivot, target.table),
                self.pivot.c[self.spec.related_key] == target.id_col,
            ),
        )

    def conditions(self) -> list[ColumnElement[bool]]:
        return [
            self.pivot.c[self.spec.parent_key] == self.parent_id,
            *(self.pivot.c[c] == v for c, v in self.spec.pivot_where),
        ]

    def extra_columns(self) -> list[ColumnElement[Any]]:
        return [self.pivot.c[c].label(PIVOT_PREFIX + c) for c in pivot_columns(self.spec)]

    def decorate(self, item: dict[str, Any], row: Any) -> None:
        item["pivot"] = pivot_of(self.spec, row)

    def pivot_input(self, payload: Mapping[str, Any], key: str) -> dict[str, Any]:
        raw = payload.get("pivot")
        return pivot_values(self.spec, raw, key)

    async def after_create(
        self, conn: AsyncConnection, tenant_id: int, row_id: int, pivot: dict[str, Any] | None
    ) -> None:
        await attach_rows(conn, tenant_id, self.spec, self.parent_id, {row_id: pivot or {}})

    async def after_update(
        self, conn: AsyncConnection, tenant_id: int, row_id: int, pivot: dict[str, Any] | None
    ) -> None:
        if pivot:
            await update_pivot(conn, tenant_id, self.spec, self.parent_id, row_id, pivot)


class BelongsToRowSet(RowSet):
    """The one row a parent points at (``/users/{id}/rank``)."""

    listable = False
    can_store = False

    def __init__(self, relation: BoundRelation, parent_id: int) -> None:
        super().__init__(relation.required_target())
        spec = relation.spec
        assert isinstance(spec, BelongsTo)
        self.relation = relation
        self.spec = spec
        self.parent_id = parent_id

    def conditions(self) -> list[ColumnElement[bool]]:
        owner = self.relation.owner
        pointer = (
            select(owner.columns[self.spec.key])
            .select_from(owner.from_clause)
            .where(owner.tenant_col == self.resource.tenant_col, owner.id_col == self.parent_id)
            .scalar_subquery()
        )
        return [self.resource.id_col == pointer]


class MorphOneRowSet(RowSet):
    """The row that names a parent in its morph columns (``/ranks/{id}/image``)."""

    listable = False

    def __init__(self, relation: BoundRelation, parent_id: int) -> None:
        super().__init__(relation.required_target())
        spec = relation.spec
        assert isinstance(spec, MorphOne)
        self.relation = relation
        self.spec = spec
        self.relation = relation
        self.parent_id = parent_id

    def conditions(self) -> list[ColumnElement[bool]]:
        columns = self.resource.columns
        return [
            columns[self.spec.type_field] == self.relation.owner.decl.morph_type,
            columns[self.spec.id_field] == self.parent_id,
        ]

    def create_defaults(self) -> dict[str, Any]:
        return {
            self.spec.type_field: self.relation.owner.decl.morph_type,
            self.spec.id_field: self.parent_id,
        }


class HasManyRowSet(RowSet):
    """The rows whose foreign key names a parent (``/users/{id}/award-records``).

    A row stored here belongs to the parent: the path's id fills the foreign key, so the
    body need not (and cannot) name another parent.
    """

    def __init__(self, relation: BoundRelation, parent_id: int) -> None:
        super().__init__(relation.required_target())
        spec = relation.spec
        assert isinstance(spec, HasMany)
        self.spec = spec
        self.relation = relation
        self.parent_id = parent_id

    def conditions(self) -> list[ColumnElement[bool]]:
        columns = self.resource.columns
        return [
            columns[self.spec.key] == self.parent_id,
            *(columns[c] == v for c, v in self.spec.where),
        ]

    def fill(self, payload: Any) -> Any:
        if isinstance(payload, dict):
            return {**payload, **dict(self.spec.where), self.spec.key: self.parent_id}
        return payload

    def page_params(self, tenant_id: int) -> dict[str, Any] | None:
        """Parameters of the relation's prepared index (``None``: build the query)."""
        if self.relation.page_statement is None:
            return None
        return {"tenant": tenant_id, "parent": self.parent_id}


def prepare(registry: Registry) -> list[Any]:
    """Build every has-many's nested index and count once, at start-up; returns them.

    The same statements :func:`~tenantry.perscom.engine.query.fetch_page` would build for a
    plain nested index, with the parent as a bind parameter instead of a literal.
    """
    prepared: list[Any] = []
    for resource in registry:
        for relation in resource.relations.values():
            spec = relation.spec
            if not isinstance(spec, HasMany) or relation.target is None:
                continue
            target = relation.target
            tenant = bindparam("tenant", type_=BigInteger)
            listed = readable(
                target.select_columns, target.table, tenant, source=target.from_clause
            )
            if target.decl.default_filter is not None:
                listed = listed.where(target.decl.default_filter(target))
            listed = listed.where(
                target.columns[spec.key] == bindparam("parent", type_=BigInteger),
                *(target.columns[c] == v for c, v in spec.where),
            )
            relation.page_statement = PageStatements.of(
                listed,
                target.id_col,
                target.default_order,
                bindparam("limit", type_=Integer),
                bindparam("offset", type_=Integer),
            )
            relation.count_statement = count_of(listed)
            page = relation.page_statement
            prepared += [page.shallow, page.deep, relation.count_statement]
    return prepared


def rowset_for(relation: BoundRelation, parent_id: int) -> RowSet:
    spec = relation.spec
    if isinstance(spec, HasMany):
        return HasManyRowSet(relation, parent_id)
    if isinstance(spec, BelongsToMany):
        return ManyRowSet(relation, parent_id)
    if isinstance(spec, BelongsTo):
        return BelongsToRowSet(relation, parent_id)
    if isinstance(spec, MorphOne):
        return MorphOneRowSet(relation, parent_id)
    raise TypeError(f"relation {relation.name} has no endpoints")


# -- pivots -----------------------------------------------------------------------------


def fillable(spec: BelongsToMany) -> tuple[str, ...]:
    """Pivot fields a client may set (``pivotFillable``): not the pivot's own id."""
    return tuple(f for f in spec.pivot_fields if f != "id")


def pivot_values(spec: BelongsToMany, raw: Any, key: str) -> dict[str, Any]:
    """The fillable pivot fields of ``raw`` (others dropped, as Orion does); ints checked."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise failure([FieldError(key, f"The {key} field must be an array.")])
    values: dict[str, Any] = {}
    for name in fillable(spec):
        if name not in raw:
            continue
        value = raw[name]
        column = spec.pivot.c[name]
        if value is None and column.nullable:
            values[name] = None
        elif isinstance(column.type, UTCDateTime):
            values[name] = _pivot_moment(f"{key}.{name}", value)
        elif isinstance(column.type, String):
            values[name] = _pivot_text(f"{key}.{name}", value, column.type)
        elif isinstance(value, int) and not isinstance(value, bool):
            if not INT64_MIN <= value <= INT64_MAX:
                raise failure([FieldError(f"{key}.{name}", f"The {key}.{name} is out of range.")])
            values[name] = value
        elif isinstance(value, str) and value.strip().lstrip("-").isdigit():
            values[name] = int(value)
        else:
            raise failure([FieldError(f"{key}.{name}", f"The {key}.{name} must be an integer.")])
    return values


def _pivot_moment(key: str, value: Any) -> datetime:
    parsed = parse_datetime(value) if isinstance(value, str) else None
    if not isinstance(parsed, datetime):
        raise failure([FieldError(key, f"The {key} is not a valid date.")])
    return parsed


def _pivot_text(key: str, value: Any, column_type: String) -> str:
    """A text pivot field (a status record's ``text``): a string within the column."""
    if not isinstance(value, str):
        raise failure([FieldError(key, f"The {key} field must be a string.")])
    limit = column_type.length or TEXT_MAX
    if len(value) > limit:
        raise failure(
            [FieldError(key, f"The {key} field must not be greater than {limit} characters.")]
        )
    return value


async def attached_ids(
    conn: AsyncConnection, tenant_id: int, spec: BelongsToMany, parent_id: int
) -> set[int]:
    pivot = spec.pivot
    rows = await conn.execute(
        select(pivot.c[spec.related_key]).where(
            of_tenant(pivot, tenant_id),
            pivot.c[spec.parent_key] == parent_id,
            *(pivot.c[c] == v for c, v in spec.pivot_where),
        )
    )
    return set(rows.scalars())


async def attach_rows(
    conn: AsyncConnection,
    tenant_id: int,
    spec: BelongsToMany,
    parent_id: int,
    rows: Mapping[int, Mapping[str, Any]],
) -> None:
    if not rows:
        return
    pivot = spec.pivot
    needs_id = "id" in pivot.c
    ids = await conn.run_sync(lambda sync: allocate_ids(sync, len(rows))) if needs_id else []
    records = []
    for index, (related, values) in enumerate(rows.items()):
        record: dict[str, Any] = {
            "tenant_id": tenant_id,
            spec.parent_key: parent_id,
            spec.related_key: related,
            **dict(spec.pivot_where),
            **{f: 0 for f in fillable(spec) if f == "order"},
            **(spec.pivot_defaults() if spec.pivot_defaults is not None else {}),
            **values,
        }
        if needs_id:
            now = utcnow()
            record.update(id=ids[index], created_at=now, updated_at=now)
        records.append(record)
    await conn.execute(insert(pivot), records)


async def detach_rows(
    conn: AsyncConnection, tenant_id: int, spec: BelongsToMany, parent_id: int, related: set[int]
) -> None:
    if not related:
        return
    pivot = spec.pivot
    await conn.execute(
        delete(pivot).where(
            of_tenant(pivot, tenant_id),
            pivot.c[spec.parent_key] == parent_id,
            pivot.c[spec.related_key].in_(related),
            *(pivot.c[c] == v for c, v in spec.pivot_where),
        )
    )


async def update_pivot(
    conn: AsyncConnection,
    tenant_id: int,
    spec: BelongsToMany,
    parent_id: int,
    related: int,
    values: Mapping[str, Any],
) -> bool:
    pivot = spec.pivot
    if not values:
        return related in await attached_ids(conn, tenant_id, spec, parent_id)
    result = await conn.execute(
        update(pivot)
        .where(
            of_tenant(pivot, tenant_id),
            pivot.c[spec.parent_key] == parent_id,
            pivot.c[spec.related_key] == related,
            *(pivot.c[c] == v for c, v in spec.pivot_where),
        )
        .values(dict(values))
    )
    return bool(result.rowcount)


def missing_row() -> NotFound:
    return NotFound("The requested resource or endpoint could not be found.")
