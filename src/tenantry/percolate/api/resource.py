"""A v5 resource, declared once, and the read pipeline every resource shares.

A :class:`Resource` names its id kind, table, its wire fields (each declared once, see
:mod:`tenantry.percolate.api.fields`: the selected columns, the presenter and the object
schema follow from them), which rows a caller may see, its filters, order fields and
includes. The engine turns that into the list (``limit``/``offset``, ``ids``, ``include``,
``order_by`` with an id tie-breaker, ``{field}:from``/``:to``, ``meta.query``), the single
read, and the OpenAPI text. Lists are Core selects mapped straight to dicts: no ORM identity
map, no model validation of rows we just read; includes cost one ``IN`` query per relation.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, bindparam, or_, true

from tenantry.core.resources.paging import count_of, known_total, order_keys, paged
from tenantry.core.resources.scoped import readable
from tenantry.core.resources.sideload import keys_to_load
from tenantry.core.resources.sql import fixed
from tenantry.percolate.api.context import V5Context, forbidden
from tenantry.percolate.api.fields import (
    Presenter,
    WireField,
    columns_of,
    compile_presenter,
    schema_of,
    scope_columns_of,
)
from tenantry.percolate.api.ids import IdKind, invalid
from tenantry.percolate.api.params import (
    MAX_LIMIT,
    MAX_OFFSET,
    Param,
    choice_param,
    csv_param,
    echo_query,
    ids_param,
    int_param,
    parse_params,
    range_params,
    text_param,
)
from tenantry.percolate.api.schemas import object_components

__all__ = [
    "Include",
    "ListFilter",
    "OrderField",
    "Resource",
    "column_eq",
    "column_in",
    "date_range",
    "fetch_one",
    "list_resource",
]

Row = Mapping[str, Any]
"""A selected row by column name (JSON columns decoded), whichever runner read it."""
Visibility = Callable[[Select[Any], V5Context], Awaitable[Select[Any]]]
Enricher = Callable[[V5Context, Sequence[Row]], Awaitable[dict[int, dict[str, Any]]]]
FilterFn = Callable[[Select[Any], dict[str, Any], V5Context], Awaitable[Select[Any]]]


@dataclass(frozen=True)
class ListFilter:
    """Query parameters and how they narrow the select (applied only when one was sent);
    a :class:`~tenantry.percolate.api.params.ParamFamily` among them receives every
    query key with its prefix (``metadata.<schema>.<path>``)."""

    params: tuple[Param, ...]
    apply: FilterFn


def column_in(param: Param, column: Any) -> ListFilter:
    """``param`` (a CSV) keeps rows whose ``column`` is one of its values."""

    async def apply(stmt: Select[Any], values: dict[str, Any], _ctx: V5Context) -> Select[Any]:
        if param.name in values:
            stmt = stmt.where(column.in_(values[param.name]))
        return stmt

    return ListFilter((param,), apply)


def not_supported(*names: str) -> ListFilter:
    """Filters the vendor documents but this server does not implement yet: refused with a
    400 naming the parameter, because ignoring them would return a silently wrong list."""

    async def apply(stmt: Select[Any], values: dict[str, Any], _ctx: V5Context) -> Select[Any]:
        for name in names:
            if name in values:
                raise invalid(name, f"The {name} filter is not supported by this server yet.")
        return stmt

    params = tuple(
        text_param(name, "Not supported by this server yet: sending it is a 400.") for name in names
    )
    return ListFilter(params, apply)


def column_eq(param: Param, column: Any) -> ListFilter:
    async def apply(stmt: Select[Any], values: dict[str, Any], _ctx: V5Context) -> Select[Any]:
        if param.name in values:
            stmt = stmt.where(column == values[param.name])
        return stmt

    return ListFilter((param,), apply)


def date_range(field_name: str, column: Any) -> ListFilter:
    """``{field}:from`` (inclusive) and ``{field}:to`` (exclusive) on a timestamp column."""
    start, end = range_params(field_name)

    async def apply(stmt: Select[Any], values: dict[str, Any], _ctx: V5Context) -> Select[Any]:
        if start.name in values:
            stmt = stmt.where(column >= values[start.name])
        if end.name in values:
            stmt = stmt.where(column < values[end.name])
        return stmt

    return ListFilter((start, end), apply)


@dataclass(frozen=True)
class OrderField:
    """A sortable field: its column and, when it lives elsewhere, the join that reaches it."""

    column: Any
    join: Callable[[Select[Any]], Select[Any]] | None = None


@dataclass(frozen=True)
class Include:
    """``include=<field>``: side-load the ``target`` objects whose keys ``keys(row)`` yields."""

    target: str | None
    """``None``: a reference the seed allows to include but this server never fills (always
    null), so the include is accepted and adds nothing."""
    keys: Callable[[Row], Iterable[int | None]]


@dataclass
class Resource:
    kind: IdKind
    model: Any
    fields: tuple[WireField, ...]
    """The object on the wire, in order; the columns, presenter and schema derive from it."""
    visible: Visibility
    title: str
    filters: tuple[ListFilter, ...] = ()
    order_fields: dict[str, OrderField] = field(default_factory=dict)
    default_order: tuple[str, str] = ("id", "asc")
    includes: dict[str, Include] = field(default_factory=dict)
    default_limit: int = 50
    required_any: tuple[str, ...] = ()
    """At least one of these parameters must be sent (terms: ids | scope_ids | parent_ids)."""
    source: Any = None
    """What to select from when it is not just ``model`` (an inner join)."""
    outer: tuple[tuple[Any, Any], ...] = ()
    """Mapped entities left-joined to it, each with its ON condition (see
    :func:`~tenantry.core.resources.scoped.readable`)."""
    enrich: Enricher | None = None
    """Adds fields computed for a whole page at once (one query), merged into each object."""
    also_select: tuple[Any, ...] = ()
    """Columns the enricher or the includes read besides those of the fields."""
    columns: tuple[Any, ...] = field(init=False)
    present: Presenter = field(init=False)
    schema: dict[str, Any] = field(init=False)
    scope_columns: tuple[str, ...] = field(init=False)
    """Columns holding scope keys: their kinds are loaded once per page for the presenter."""
    _by_ids: Select[Any] = field(init=False, repr=False)
    """Rows by id (parameters ``rows_tenant``, ``rows_ids``), built once."""

    def __post_init__(self) -> None:
        self.order_fields = {"id": OrderField(self.model.id), **self.order_fields}
        self.columns = columns_of((*self.fields,), first=(self.model.id, *self.also_select))
        self.present = compile_presenter(self.fields, f"present_{self.kind.prefix}")
        self.schema = schema_of(self.fields)
        self.scope_columns = scope_columns_of(self.fields)
        self._by_ids = fixed(
            self._readable(bindparam("rows_tenant")).where(
                self.model.id.in_(bindparam("rows_ids", expanding=True))
            )
        )

    def openapi_components(self) -> dict[str, dict[str, Any]]:
        """The object and its list and single envelopes, for the routes to carry."""
        targets = sorted({i.target for i in self.includes.values() if i.target is not None})
        return object_components(self.title, self.schema, targets)

    @property
    def name(self) -> str:
        return self.kind.prefix

    # -- parameters ------------------------------------------------------------------------

    def include_param(self) -> Param | None:
        if not self.includes:
            return None
        choices = tuple(self.includes)

        def parse(raw: str) -> list[str]:
            values = [v.strip() for v in raw.split(",") if v.strip()]
            unknown = [v for v in values if v not in choices]
            if unknown:
                raise invalid(
                    "include",
                    f"Invalid attribute(s) given: {', '.join(unknown)}",
                    ",".join(unknown),
                )
            return list(dict.fromkeys(values))

        param = csv_param("include", "Includes related items in the response.", enum=choices)
        return Param("include", param.schema, parse, param.description)

    def list_params(self) -> list[Param]:
        params = [
            int_param(
                "limit",
                f"Limit the number of paginated results (default {self.default_limit},"
                f" at most {MAX_LIMIT}).",
                default=self.default_limit,
                minimum=1,
                maximum=MAX_LIMIT,
                clamp=True,
            ),
            int_param(
                "offset",
                "A 0-based item offset to adjust the pagination window.",
                default=0,
                minimum=0,
                maximum=MAX_OFFSET,
            ),
            choice_param(
                "order_by",
                "Order by the specified attribute (ties broken by id).",
                tuple(self.order_fields),
                default=self.default_order[0],
            ),
            choice_param(
                "order_direction",
                "Control order direction.",
                ("asc", "desc"),
                default=self.default_order[1],
            ),
            ids_param("ids", self.kind),
        ]
        include = self.include_param()
        if include is not None:
            params.append(include)
        for list_filter in self.filters:
            params.extend(list_filter.params)
        return params

    # -- reading ---------------------------------------------------------------------------

    def base(self, ctx: V5Context) -> Select[Any]:
        return self._readable(ctx.tenant_id)

    def _readable(self, tenant: Any) -> Select[Any]:
        """The resource's columns of ``tenant``'s rows (an id or a bind parameter)."""
        return readable(self.columns, self.model, tenant, source=self.source, outer=self.outer)

    async def rows_by_id(
        self, ctx: V5Context, keys: Sequence[int], *, check: bool = True
    ) -> list[Row]:
        """Rows with these ids (visible to the caller unless ``check`` is off: includes show
        what a visible row references)."""
        if not keys:
            return []
        stmt = self._by_ids
        if check:
            stmt = await self.visible(stmt, ctx)
        params = {"rows_tenant": ctx.tenant_id, "rows_ids": sorted(set(keys))}
        return await ctx.db.mappings(stmt, params)

    async def present_rows(self, ctx: V5Context, rows: Sequence[Row]) -> list[dict[str, Any]]:
        await ctx.load_scope_kinds(row[c] for row in rows for c in self.scope_columns)
        shown = [self.present(row, ctx) for row in rows]
        if self.enrich is not None and rows:
            extra = await self.enrich(ctx, rows)
            for row, obj in zip(rows, shown, strict=True):
                obj.update(extra.get(row["id"], {}))
        return shown

    async def side_load(
        self, ctx: V5Context, rows: Sequence[Row], names: Sequence[str]
    ) -> dict[str, list[dict[str, Any]]]:
        """``include``: one query per relation; grouped under the target's type word."""
        loaded: dict[str, dict[int, dict[str, Any]]] = {}
        for name in names:
            include = self.includes[name]
            if include.target is None:
                continue
            target = ctx.runtime.resources.get(include.target)
            bucket = loaded.setdefault(target.name, {})
            keys = keys_to_load(rows, include.keys, bucket)
            found = await target.rows_by_id(ctx, keys, check=False)
            for row, shown in zip(found, await target.present_rows(ctx, found), strict=True):
                bucket[row["id"]] = shown
        return {name: list(objects.values()) for name, objects in loaded.items()}


async def list_resource(
    resource: Resource, ctx: V5Context, query: dict[str, list[str]]
) -> dict[str, Any]:
    """The list envelope ``{"meta": {"total", "query"}, "data", "include"}``."""
    params = resource.list_params()
    values = parse_params(params, query)
    if resource.required_any and not any(name in values for name in resource.required_any):
        raise invalid(
            resource.required_any[0],
            "Send at least one of: " + ", ".join(resource.required_any) + ".",
        )
    stmt = await resource.visible(resource.base(ctx), ctx)
    if "ids" in values:
        stmt = stmt.where(resource.model.id.in_(values["ids"]))
    ctx.alternatives = []
    for list_filter in resource.filters:
        stmt = await list_filter.apply(stmt, values, ctx)
    counted = stmt
    if ctx.alternatives:
        stmt = stmt.where(or_(*ctx.alternatives))
    order = resource.order_fields[values["order_by"]]
    if order.join is not None:
        stmt = order.join(stmt)
    keys = order_keys(
        order.column, resource.model.id, descending=values["order_direction"] == "desc"
    )
    limit, offset = values["limit"], values["offset"]
    stmt = paged(stmt, resource.model.id, keys, limit, offset)
    rows = await ctx.db.mappings(stmt)
    total = known_total(offset, limit, len(rows))
    if total is None:
        # Disjoint alternatives (e.g. "in these scopes" / "tenant-wide") are counted one by
        # one: each is an index range, where their OR would filter every row of the tenant.
        total = 0
        for part in ctx.alternatives or [true()]:
            total += int(await ctx.db.scalar(count_of(counted.where(part))) or 0)
    data = await resource.present_rows(ctx, rows)
    include = await resource.side_load(ctx, rows, values.get("include", []))
    return {
        "meta": {"total": total, "query": echo_query(params, query, values)},
        "data": data,
        "include": include,
    }


async def fetch_one(
    resource: Resource,
    ctx: V5Context,
    key: int,
    *,
    wire_key: str | None,
    wire_value: str,
    include: Sequence[str] = (),
) -> dict[str, Any]:
    """The single envelope ``{"data", "include"}``; 403 when missing or not visible."""
    rows = await resource.rows_by_id(ctx, [key])
    if not rows:
        raise forbidden(wire_key, wire_value, resource.name)
    data = await resource.present_rows(ctx, rows)
    return {"data": data[0], "include": await resource.side_load(ctx, rows, include)}
