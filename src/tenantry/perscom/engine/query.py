"""Orion's query conventions compiled to SQL: pagination, filters, search, sort, scopes.

Everything a client sends is checked against the resource's whitelists before it becomes
SQL; anything else is a 422 with ``errors``. Relation paths (``rank.name``) become
correlated ``EXISTS`` sub-queries (Laravel's ``whereHas``), so a filter never multiplies rows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import (
    ColumnElement,
    FromClause,
    String,
    and_,
    cast,
    exists,
    false,
    func,
    not_,
    or_,
    select,
    true,
)
from starlette.requests import Request

from tenantry.core.errors import FieldError
from tenantry.core.resources.paging import PageStatements, count_of, known_total, paged
from tenantry.core.resources.params import QueryParam
from tenantry.core.resources.scoped import same_tenant
from tenantry.core.resources.sql import Database
from tenantry.perscom.engine.declaration import (
    BelongsTo,
    BelongsToMany,
    HasMany,
    HasManyThrough,
    Kind,
    MorphOne,
)
from tenantry.perscom.engine.problems import Problems, failure, not_whitelisted, refuse
from tenantry.perscom.engine.runtime import INT64_MAX, INT64_MIN, BoundRelation, Compiled

DEFAULT_LIMIT = 15
MAX_LIMIT = 1000
INT32_MAX = 2**31 - 1
"""PostgreSQL binds OFFSET as a 4-byte integer on the prepared path: pages stop before it."""
PAGE = QueryParam(
    "page",
    {"type": "integer", "minimum": 1, "maximum": INT32_MAX // MAX_LIMIT + 1},
    int,
    default=1,
)
LIMIT = QueryParam(
    "limit",
    {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
    int,
    default=DEFAULT_LIMIT,
)
"""Orion sets no maximum; the issue refuses ``limit=100000000``. FFY's largest is 1000."""
MAX_NESTED_DEPTH = 1

Operator = Literal[
    "<",
    "<=",
    ">",
    ">=",
    "=",
    "!=",
    "like",
    "not like",
    "ilike",
    "not ilike",
    "in",
    "not in",
    "all in",
    "any in",
]
COMPARISONS = {"<", "<=", ">", ">=", "=", "!="}
LIKES = {"like", "not like", "ilike", "not ilike"}
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[ T]00:00(?::00(?:\.0+)?)?)?$")
_INT_TEXT = re.compile(r"^[+-]?\d{1,19}$")


# -- request bodies -----------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ScopeItem(_Strict):
    name: str = Field(max_length=255)
    parameters: list[Any] = Field(default_factory=list, max_length=10)


class FilterItem(_Strict):
    type: Literal["and", "or"] = "and"
    field: str | None = Field(default=None, max_length=255)
    operator: Operator = "="
    value: Any = None
    nested: list[FilterItem] | None = Field(default=None, max_length=100)


class SearchValue(_Strict):
    value: str | int | float | None = None
    case_sensitive: bool | None = None


class SortItem(_Strict):
    field: str = Field(max_length=255)
    direction: Literal["asc", "desc"] = "asc"


class IncludeItem(_Strict):
    relation: str = Field(max_length=255)
    filters: list[FilterItem] = Field(default_factory=list, max_length=100)
    limit: int | None = Field(default=None, ge=1, le=MAX_LIMIT)


class SearchBody(_Strict):
    """``POST …/search``: Orion's body. Unknown keys are refused rather than ignored."""

    scopes: list[ScopeItem] = Field(default_factory=list, max_length=20)
    filters: list[FilterItem] = Field(default_factory=list, max_length=100)
    search: SearchValue | None = None
    sort: list[SortItem] = Field(default_factory=list, max_length=20)
    includes: list[IncludeItem] = Field(default_factory=list, max_length=50)
    aggregates: list[Any] = Field(default_factory=list, max_length=0)


# -- pagination -------------------------------------------------------------------------


@dataclass(frozen=True)
class PageRequest:
    number: int
    size: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


def page_request(request: Request) -> PageRequest:
    """``?page`` (1-based) and ``?limit`` (default 15): integers, or a 422."""
    params = request.query_params
    problems = Problems()
    number, size = (
        _positive(params.get(p.name), p.default, p.name, problems, p.schema["maximum"])
        for p in (PAGE, LIMIT)
    )
    problems.raise_if_any()
    return PageRequest(number, size)


def _positive(raw: str | None, default: int, key: str, problems: Problems, most: int) -> int:
    if raw is None or raw == "":
        return default
    if not _INT_TEXT.match(raw.strip()):
        problems.add(key, f"The {key} field must be an integer.", raw)
        return default
    value = int(raw)
    if value < 1:
        problems.add(key, f"The {key} field must be at least 1.", raw)
        return default
    if value > most:
        problems.add(key, f"The {key} field must not be greater than {most}.", raw)
        return default
    return value


def parse_search_body(payload: Any) -> SearchBody:
    if payload is None:
        return SearchBody()
    try:
        body = SearchBody.model_validate(payload)
    except ValidationError as exc:
        from tenantry.perscom.engine.problems import from_pydantic

        raise failure(from_pydantic(exc)) from None
    for index, item in enumerate(body.filters):
        if item.nested:
            for inner, nested in enumerate(item.nested):
                if nested.nested is not None:
                    refuse(
                        f"filters.{index}.nested.{inner}.nested",
                        f"Max nested depth {MAX_NESTED_DEPTH} is exceeded",
                    )
    return body


# -- compiling --------------------------------------------------------------------------


@dataclass
class ListQuery:
    """The WHERE and ORDER BY of one list, ready for :func:`fetch_page`."""

    where: list[ColumnElement[bool]] = field(default_factory=list)
    order_by: list[ColumnElement[Any]] = field(default_factory=list)


class Compiler:
    """Turns a validated search body into SQL for one resource (and its dialect)."""

    def __init__(self, resource: Compiled, dialect: str) -> None:
        self.resource = resource
        self.dialect = dialect

    def list_query(
        self, tenant_id: int, body: SearchBody | None, extra: Sequence[ColumnElement[bool]] = ()
    ) -> ListQuery:
        resource = self.resource
        query = ListQuery(where=[resource.tenant_col == tenant_id, *extra])
        problems = Problems()
        lifted = False
        if body is not None:
            for index, scope in enumerate(body.scopes):
                condition, lifts = self._scope(scope, f"scopes.{index}", problems)
                lifted = lifted or lifts
                if condition is not None:
                    query.where.append(condition)
            condition = self.filters(body.filters, "filters", problems)
            if condition is not None:
                query.where.append(condition)
            if body.search is not None and body.search.value not in (None, ""):
                query.where.append(self._search(body.search, problems))
            for index, item in enumerate(body.sort):
                query.order_by.append(self._sort(item, f"sort.{index}.field", problems))
        problems.raise_if_any()
        if not lifted and resource.decl.default_filter is not None:
            query.where.append(resource.decl.default_filter(resource))
        query.order_by.extend(resource.default_order)
        return query

    # scopes

    def _scope(
        self, item: ScopeItem, key: str, problems: Problems
    ) -> tuple[ColumnElement[bool] | None, bool]:
        scope = self.resource.scopes.get(item.name)
        if scope is None:
            problems.add(f"{key}.name", f"The selected {key}.name is invalid.", item.name)
            return None, False
        if len(item.parameters) > scope.max_parameters:
            problems.add(
                f"{key}.parameters",
                f"The {key} scope takes at most {scope.max_parameters} parameters.",
            )
            return None, False
        return scope.apply(self.resource, item.parameters), scope.lifts_default

    # filters

    def filters(
        self, items: Sequence[FilterItem], key: str, problems: Problems
    ) -> ColumnElement[bool] | None:
        """Laravel's chain ``where A and B or C`` reads ``(A AND B) OR C``: OR of AND-runs."""
        runs: list[list[ColumnElement[bool]]] = [[]]
        for index, item in enumerate(items):
            here = f"{key}.{index}"
            if item.nested is not None:
                inner = self.filters(item.nested, f"{here}.nested", problems)
                clause = inner if inner is not None else true()
            elif item.field is None:
                problems.add(f"{here}.field", f"The {here}.field field is required.")
                continue
            else:
                clause = self._filter(item, here, problems)
            if item.type == "or" and runs[-1]:
                runs.append([])
            runs[-1].append(clause)
        groups = [and_(*run) if len(run) > 1 else run[0] for run in runs if run]
        if not groups:
            return None
        return or_(*groups) if len(groups) > 1 else groups[0]

    def _filter(self, item: FilterItem, key: str, problems: Problems) -> ColumnElement[bool]:
        path = item.field or ""
        resolved = self._whitelisted(path, self.resource.filter_list, f"{key}.field", problems)
        if resolved is None:
            return false()
        hops, column = resolved
        target = hops[-1].required_target() if hops else self.resource
        try:
            condition = condition_for(
                target.columns[column], target.kinds[column], item.operator, item.value
            )
        except ValueError as exc:
            problems.add(f"{key}.value", str(exc).replace("{key}", f"{key}.value"), item.value)
            return false()
        return through(hops, condition)

    def _whitelisted(
        self, path: str, whitelist: Any, key: str, problems: Problems
    ) -> tuple[list[BoundRelation], str] | None:
        if not whitelist.allows(path):
            problems.errors.append(not_whitelisted(key, path))
            return None
        resolved = self.resource.resolve(path)
        if resolved is None:
            problems.add(key, f"The {path} field does not exist.", path)
        return resolved

    # search

    def _search(self, search: SearchValue, problems: Problems) -> ColumnElement[bool]:
        text = str(search.value)
        clauses: list[ColumnElement[bool]] = []
        for path in self.resource.search_fields:
            resolved = self.resource.resolve(path)
            if resolved is None:  # a declaration error, caught by the test suite
                raise ValueError(f"{self.resource.name}: searchable {path!r} does not resolve")
            hops, column = resolved
            target = hops[-1].required_target() if hops else self.resource
            expr = _as_text(target.columns[column], target.kinds[column])
            clauses.append(through(hops, self._contains(expr, text, bool(search.case_sensitive))))
        return or_(*clauses) if clauses else false()

    def _contains(
        self, expr: ColumnElement[Any], text: str, case_sensitive: bool
    ) -> ColumnElement[bool]:
        if not case_sensitive:
            return expr.ilike(like_pattern(f"%{text}") + "%")
        if self.dialect == "sqlite":
            return func.instr(expr, text) > 0
        return func.strpos(expr, text) > 0

    # sort

    def _sort(self, item: SortItem, key: str, problems: Problems) -> ColumnElement[Any]:
        resolved = self._whitelisted(item.field, self.resource.sort_list, key, problems)
        if resolved is None:
            return self.resource.id_col
        hops, column = resolved
        expr: ColumnElement[Any]
        expr = related_value(hops, column) if hops else self.resource.columns[column]
        # MySQL's order (PERSCOM's database) on both engines: NULLs sort as the smallest value.
        if item.direction == "desc":
            return expr.desc().nulls_last()
        return expr.asc().nulls_first()


def _as_text(expr: ColumnElement[Any], kind: Kind) -> ColumnElement[Any]:
    return expr if kind in ("str", "text") else cast(expr, String)


# -- conditions -------------------------------------------------------------------------


def condition_for(
    column: ColumnElement[Any], kind: Kind, operator: str, value: Any
) -> ColumnElement[bool]:
    """One filter on one column; ``ValueError`` (with ``{key}``) when the value cannot apply."""
    if operator in ("all in", "any in"):
        values = [coerce(v, kind) for v in (value if isinstance(value, list) else [value])]
        if not values:
            raise ValueError(f"The {{key}} field must not be empty for {operator!r}.")
        if operator == "any in":
            return column.in_(values)
        return and_(*(column == v for v in values))  # a scalar holds all values iff all equal it
    if isinstance(value, list) or operator in ("in", "not in"):
        values = value if isinstance(value, list) else [value]
        if len(values) > 1000:
            raise ValueError("The {key} field must not have more than 1000 items.")
        present = [coerce(v, kind) for v in values if v is not None]
        with_null = any(v is None for v in values)
        if operator == "not in":
            clauses = [column.not_in(present)] if present else []
            if with_null:
                clauses.append(column.is_not(None))
            return and_(*clauses) if clauses else true()
        clauses = [column.in_(present)] if present else []
        if with_null:
            clauses.append(column.is_(None))
        return or_(*clauses) if clauses else false()
    if operator in LIKES:
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise ValueError("The {key} field must be a string.")
        like = _as_text(column, kind).ilike(like_pattern(str(value)))
        return not_(like) if operator.startswith("not") else like
    if value is None:
        if operator == "=":
            return column.is_(None)
        if operator == "!=":
            return column.is_not(None)
        raise ValueError("The {key} field must not be null for this operator.")
    if kind == "datetime" and isinstance(value, str) and _DATE_ONLY.match(value.strip()):
        return _date_condition(column, operator, value.strip()[:10])
    operand = coerce(value, kind)
    return _compare(column, operator, operand)


def like_pattern(text: str) -> str:
    """A client's LIKE pattern, safe on PostgreSQL: a trailing lone backslash (the escape
    character there) would make the query fail, so it is doubled into a literal one."""
    trailing = len(text) - len(text.rstrip("\\"))
    return text + "\\" if trailing % 2 else text


def _compare(column: ColumnElement[Any], operator: str, operand: Any) -> ColumnElement[bool]:
    comparisons: dict[str, Any] = {
        "=": column.__eq__,
        "!=": column.__ne__,
        "<": column.__lt__,
        "<=": column.__le__,
        ">": column.__gt__,
        ">=": column.__ge__,
    }
    condition: ColumnElement[bool] = comparisons[operator](operand)
    return condition


def _date_condition(column: ColumnElement[Any], operator: str, day: str) -> ColumnElement[bool]:
    """Laravel's ``whereDate``: a midnight value compares the date part only (index-friendly)."""
    try:
        start = datetime.fromisoformat(day).replace(tzinfo=UTC)
        end = start + timedelta(days=1)
    except (ValueError, OverflowError):
        raise ValueError("The {key} field must be a valid date.") from None
    if operator == "=":
        return and_(column >= start, column < end)
    if operator == "!=":
        return or_(column < start, column >= end)
    if operator == "<":
        return column < start
    if operator == "<=":
        return column < end
    if operator == ">":
        return column >= end
    return column >= start


def coerce(value: Any, kind: Kind) -> Any:
    """A filter value as the column's type; ``ValueError`` when it is not one."""
    if kind == "int":
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int) or (isinstance(value, str) and _INT_TEXT.match(value.strip())):
            number = int(value)
            if INT64_MIN <= number <= INT64_MAX:
                return number
        if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
            return int(value)
        raise ValueError("The {key} field must be an integer.")
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if value in (0, 1, "0", "1", "true", "false"):
            return value in (1, "1", "true")
        raise ValueError("The {key} field must be true or false.")
    if kind == "datetime":
        if isinstance(value, str):
            text = value.strip()
            if text.endswith(("Z", "z")):
                text = text[:-1] + "+00:00"
            try:
                parsed = datetime.fromisoformat(text)
            except ValueError:
                raise ValueError("The {key} field must be a valid date.") from None
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        raise ValueError("The {key} field must be a valid date.")
    if kind == "float":
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        raise ValueError("The {key} field must be a number.")
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise ValueError("The {key} field must be a string.")


def link(relation: BoundRelation) -> tuple[FromClause, ColumnElement[bool]]:
    """The target side of a relation and the condition tying it to its owner's row."""
    owner = relation.owner
    target = relation.required_target()
    spec = relation.spec
    within = same_tenant(target.table, owner.table)
    if isinstance(spec, BelongsTo):
        return target.from_clause, and_(within, target.id_col == owner.columns[spec.key])
    if isinstance(spec, HasMany):
        return target.from_clause, and_(within, target.columns[spec.key] == owner.id_col)
    if isinstance(spec, HasManyThrough):
        through = spec.through
        joined = target.from_clause.join(
            through,
            and_(same_tenant(through, target.table), through.c.id == target.columns[spec.key]),
        )
        return joined, and_(
            same_tenant(through, owner.table), through.c[spec.through_key] == owner.id_col
        )
    if isinstance(spec, MorphOne):
        return target.from_clause, and_(
            within,
            target.columns[spec.type_field] == owner.decl.morph_type,
            target.columns[spec.id_field] == owner.id_col,
        )
    if isinstance(spec, BelongsToMany):
        pivot = spec.pivot
        joined = target.from_clause.join(
            pivot,
            and_(
                same_tenant(pivot, target.table),
                pivot.c[spec.related_key] == target.id_col,
            ),
        )
        conditions = [
            same_tenant(pivot, owner.table),
            pivot.c[spec.parent_key] == owner.id_col,
            *(pivot.c[name] == value for name, value in spec.pivot_where),
        ]
        return joined, and_(*conditions)
    raise TypeError(f"relation {relation.name} cannot be followed in a query")


def through(hops: Sequence[BoundRelation], condition: ColumnElement[bool]) -> ColumnElement[bool]:
    """Wrap ``condition`` (on the last hop's target) in one ``EXISTS`` per hop, inside out."""
    for relation in reversed(hops):
        source, joined = link(relation)
        target = relation.required_target()
        condition = exists(
            select(target.id_col).select_from(source).where(joined, condition)
        ).correlate(*relation.owner.tables)
    return condition


def related_value(hops: Sequence[BoundRelation], column: str) -> ColumnElement[Any]:
    """A related column as a correlated scalar (min over to-many hops), for sorting."""
    first, rest = hops[0], hops[1:]
    target = first.required_target()
    source, joined = link(first)
    inner: ColumnElement[Any] = related_value(rest, column) if rest else target.columns[column]
    to_many = not first.to_one or any(not hop.to_one for hop in rest)
    selected = func.min(inner) if to_many else inner
    statement = select(selected).select_from(source).where(joined)
    if not to_many:
        statement = statement.limit(1)
    return statement.correlate(*first.owner.tables).scalar_subquery()


# -- executing --------------------------------------------------------------------------


@dataclass
class Page:
    rows: list[Any]
    total: int
    request: PageRequest


async def fetch_page(
    db: Database,
    resource: Compiled,
    query: ListQuery,
    page: PageRequest,
    *,
    source: FromClause | None = None,
    extra_columns: Sequence[ColumnElement[Any]] = (),
) -> Page:
    """A page (a deferred join when deep: the ids from the narrow index, then only those
    rows; see :mod:`tenantry.core.resources.paging`).

    The count runs only when the page does not already tell the total (a first page
    shorter than the limit), because on a large tenant it costs more than the page.
    """
    base = source if source is not None else resource.from_clause
    listed = select(*resource.select_columns, *extra_columns).select_from(base).where(*query.where)
    statement = paged(listed, resource.id_col, query.order_by, page.size, page.offset)
    rows = list(await db.rows(statement))
    total = known_total(page.offset, page.size, len(rows))
    if total is None:
        total = int(await db.scalar(count_of(listed)))
    return Page(rows, total, page)


async def fetch_default_page(
    db: Database, resource: Compiled, tenant_id: int, page: PageRequest
) -> Page:
    """:func:`fetch_page` for a plain index, on the statements prepared at start-up."""
    return await fetch_prepared_page(
        db, resource.page_statement, resource.count_statement, {"tenant": tenant_id}, page
    )


async def fetch_prepared_page(
    db: Database,
    statements: PageStatements,
    count: Any,
    params: Mapping[str, Any],
    page: PageRequest,
) -> Page:
    """A page (and, when needed, the total) of prepared ``statements`` and ``count``."""
    statement = statements.at(page.offset)
    rows = list(await db.rows(statement, {**params, "limit": page.size, "offset": page.offset}))
    total = known_total(page.offset, page.size, len(rows))
    if total is None:
        total = int(await db.scalar(count, params))
    return Page(rows, total, page)


def include_filters(target: Compiled, items: Sequence[FilterItem], key: str) -> Any:
    """Filters of a search body's ``includes`` entry, checked against the target's whitelist."""
    problems = Problems()
    condition = Compiler(target, "").filters(items, key, problems)
    problems.raise_if_any()
    return condition


def missing(key: str) -> FieldError:
    return FieldError(key, f"The {key} field is required.")
