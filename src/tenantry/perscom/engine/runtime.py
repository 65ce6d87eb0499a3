"""Declarations compiled once at start-up into what requests need: columns, plans, models.

Nothing here runs per request: the column map, the SELECT list, the serialization plan,
the whitelists, the Pydantic input models and the resolved relations are all built when the
registry is bound, so the hot path only combines ready-made pieces.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import orjson
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, create_model
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ColumnElement,
    DateTime,
    Float,
    FromClause,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    and_,
    bindparam,
    func,
    literal,
    select,
)

from tenantry.core.base import UTCDateTime
from tenantry.core.resources.paging import PageStatements, count_of
from tenantry.core.resources.registry import Registry as NamedResources
from tenantry.core.resources.scoped import readable, same_tenant
from tenantry.perscom.engine.declaration import (
    BelongsTo,
    BelongsToMany,
    Computed,
    HasMany,
    Kind,
    MorphOne,
    MorphTo,
    NamedScope,
    Relation,
    Resource,
)

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
STRING_MAX = 255
TEXT_MAX = 65535
TIMESTAMPS = ("created_at", "updated_at")
INTERNAL = ("tenant_id",)


_WIRE_TIME = orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC


def format_datetime(value: datetime) -> str:
    """Laravel's wire format: UTC with six fraction digits and ``Z``.

    Large pages hold thousands of times: orjson writes the text in C (several times faster
    than ``isoformat``); it leaves a zero fraction out, which is put back.
    """
    if type(value) is datetime and (value.tzinfo is UTC or value.tzinfo is None):
        text = orjson.dumps(value, option=_WIRE_TIME)
        return text[1:-1].decode() if value.microsecond else text[1:-2].decode() + ".000000Z"
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(timespec="microseconds") + "Z"


def parse_datetime(value: Any) -> Any:
    """Accept what Laravel's ``date`` rule does in practice: ISO 8601, with or without time."""
    if isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            return value  # let Pydantic report it
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _aware(value: Any) -> Any:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return value


DateTimeInput = Annotated[datetime, BeforeValidator(parse_datetime)]


def kind_of(column: Column[Any]) -> Kind:
    """The wire kind of a column, from its SQL type."""
    sql_type = column.type
    if isinstance(sql_type, Boolean):
        return "bool"
    if isinstance(sql_type, UTCDateTime | DateTime):
        return "datetime"
    if isinstance(sql_type, Integer | BigInteger):
        return "int"
    if isinstance(sql_type, Text):
        return "text"
    if isinstance(sql_type, String):
        return "str"
    if isinstance(sql_type, JSON):
        return "json"
    if isinstance(sql_type, Float | Numeric):
        return "float"
    raise TypeError(f"no wire kind for column {column} of type {sql_type!r}")


def max_length_of(column: Column[Any]) -> int | None:
    if isinstance(column.type, Text):
        return TEXT_MAX
    if isinstance(column.type, String):
        return column.type.length or STRING_MAX
    return None


@dataclass(frozen=True)
class Whitelist:
    """Orion's whitelist: exact names plus ``x.*`` entries allowing any path below ``x``."""

    exact: frozenset[str]
    prefixes: tuple[str, ...]

    @classmethod
    def of(cls, entries: Iterable[str]) -> Whitelist:
        exact: set[str] = set()
        prefixes: list[str] = []
        for entry in entries:
            if entry.endswith(".*"):
                prefixes.append(entry[:-1])
            else:
                exact.add(entry)
        return cls(frozenset(exact), tuple(prefixes))

    def allows(self, value: str) -> bool:
        return value in self.exact or any(value.startswith(p) for p in self.prefixes)

    def entries(self) -> list[str]:
        return sorted(self.exact) + [p + "*" for p in self.prefixes]


@dataclass
class BoundRelation:
    """A relation with its target compiled; ``to_one`` tells how it serializes."""

    spec: Relation
    owner: Compiled
    target: Compiled | None  # None for MorphTo (the target depends on the row)
    prepared: Any = None
    """The include query of this relation, built at start-up (see ``includes.prepare``)."""
    page_statement: PageStatements | None = None
    count_statement: Any = None
    """A has-many's nested index (``/users/{id}/award-records``) and its count, prepared
    like the resource's own (parameter ``parent``; see ``rowsets.prepare``)."""

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def to_one(self) -> bool:
        return isinstance(self.spec, BelongsTo | MorphOne | MorphTo)

    def required_target(self) -> Compiled:
        if self.target is None:
            raise TypeError(f"relation {self.name} has no single target")
        return self.target


Formatter = Callable[[Any], Any] | None


class Compiled:
    """A declaration bound to SQL: everything a request needs, computed once."""

    def __init__(self, decl: Resource) -> None:
        self.decl = decl
        self.name = decl.name
        self.table: Table = decl.model.__table__  # type: ignore[assignment]
        self.ext: Table | None = (
            decl.extension.__table__  # type: ignore[assignment]
            if decl.extension is not None
            else None
        )
        self.tables: tuple[Table, ...] = (
            (self.table,) if self.ext is None else (self.table, self.ext)
        )
        self.tenant_col: ColumnElement[int] = self.table.c.tenant_id
        self.id_col: ColumnElement[int] = self.table.c.id
        self.from_clause: FromClause = self.table
        self.columns: dict[str, ColumnElement[Any]] = {}
        self.kinds: dict[str, Kind] = {}
        self.nullable: dict[str, bool] = {}
        self.max_lengths: dict[str, int | None] = {}
        self.column_home: dict[str, Table] = {}
        self._compile_columns()
        self.output: list[str] = self._output_order()
        self.relations: dict[str, BoundRelation] = {}
        self.scopes: dict[str, NamedScope] = {s.name: s for s in decl.scopes}
        self.computed: tuple[Computed, ...] = decl.computed
        # Filled by bind(): they need the other resources.
        self.select_columns: list[ColumnElement[Any]] = []
        self.plan: list[tuple[str, int, Formatter]] = []
        self.private: list[tuple[str, int]] = []
        self.output_keys: tuple[str, ...] = ()
        self.row_keys: tuple[str, ...] = ()
        self.formatted: tuple[tuple[str, Callable[[Any], Any]], ...] = ()
        """Output columns whose non-null values are formatted (``entity``)."""
        self.include_list = Whitelist.of(decl.includes)
        self.filter_list = Whitelist.of(())
        self.sort_list = Whitelist.of(())
        self.search_fields: tuple[str, ...] = decl.searchable
        self.create_model: type[BaseModel] = BaseModel
        self.update_model: type[BaseModel] = BaseModel
        self.writable_primary: frozenset[str] = frozenset()
        self.writable_ext: frozenset[str] = frozenset()
        self.default_order: list[ColumnElement[Any]] = []
        self.count_statement: Any = None
        self.show_statement: Any = None
        self.exists_statement: Any = None
        self.later_statement: Any = None
        """Filled by ``deferred.prepare`` when computed fields read values afterwards."""

    # -- columns --------------------------------------------------------------------------

    def _compile_columns(self) -> None:
        hidden = set(self.decl.hidden) | set(INTERNAL)
        for column in self.table.columns:
            if column.name in hidden:
                continue
            self._add_column(column.name, column, column, self.table)
        if self.ext is not None:
            key = self.decl.extension_key
            self.from_clause = self.table.outerjoin(
                self.ext,
                and_(
                    same_tenant(self.ext, self.table),
                    self.ext.c[key] == self.table.c.id,
                ),
            )
            for column in self.ext.columns:
                if column.name in hidden or column.name == key:
                    continue
                expr: ColumnElement[Any] = column
                if column.name in self.decl.extension_defaults:
                    default = self.decl.extension_defaults[column.name]
                    expr = func.coalesce(column, literal(default, column.type))
                self._add_column(column.name, expr, column, self.ext)

    def _add_column(
        self, name: str, expr: ColumnElement[Any], column: Column[Any], home: Table
    ) -> None:
        name = str(name)  # a reserved word (``global``) is a ``quoted_name``; orjson wants str
        self.columns[name] = expr
        self.kinds[name] = kind_of(column)
        self.nullable[name] = bool(column.nullable) and name not in self.decl.extension_defaults
        self.max_lengths[name] = max_length_of(column)
        self.column_home[name] = home

    def _output_order(self) -> list[str]:
        if self.decl.fields is not None:
            unknown = set(self.decl.fields) - set(self.columns)
            if unknown:
                raise ValueError(f"{self.name}: unknown output fields {sorted(unknown)}")
            return list(self.decl.fields)
        middle = [n for n in self.columns if n != "id" and n not in TIMESTAMPS]
        return ["id", *middle, *[t for t in TIMESTAMPS if t in self.columns]]

    # -- binding --------------------------------------------------------------------------

    def bind(self, registry: Registry) -> None:
        decl = self.decl
        for spec in decl.relations:
            target = None if isinstance(spec, MorphTo) else registry.get(spec.target)
            self.relations[spec.name] = BoundRelation(spec, self, target)
        to_one = [
            f"{name}.*"
            for name, rel in self.relations.items()
            if isinstance(rel.spec, BelongsTo | MorphOne)
        ]
        self.filter_list = Whitelist.of(
            decl.filterable if decl.filterable is not None else [*self.output, *to_one]
        )
        self.sort_list = Whitelist.of(
            decl.sortable if decl.sortable is not None else [*self.output, *to_one]
        )
        self._compile_select()
        self._compile_inputs()
        self.default_order = [
            self.columns[name].desc() if direction == "desc" else self.columns[name].asc()
            for name, direction in decl.default_sort
        ]
        self.default_order.append(self.id_col.asc())
        self._prepare_statements()

    def _prepare_statements(self) -> None:
        """The plain index, count and show queries, built once with bind parameters.

        Reusing one statement object lets SQLAlchemy reuse its cache key and compiled
        form (and asyncpg its prepared statement), which a freshly built select cannot.
        """
        tenant = bindparam("tenant", type_=BigInteger)
        rows = readable(self.select_columns, self.table, tenant, source=self.from_clause)
        listed = rows
        if self.decl.default_filter is not None:
            listed = listed.where(self.decl.default_filter(self))
        self.page_statement: PageStatements = PageStatements.of(
            listed,
            self.id_col,
            self.default_order,
            bindparam("limit", type_=Integer),
            bindparam("offset", type_=Integer),
        )
        self.count_statement = count_of(listed)
        self.show_statement = rows.where(self.id_col == bindparam("row_id", type_=BigInteger))
        self.exists_statement = select(self.id_col).where(
            self.tenant_col == tenant, self.id_col == bindparam("row_id", type_=BigInteger)
        )

    def _compile_select(self) -> None:
        columns: list[ColumnElement[Any]] = []
        plan: list[tuple[str, int, Formatter]] = []
        for name in self.output:
            plan.append((name, len(columns), _formatter(self.kinds[name])))
            columns.append(self.columns[name].label(name))
        private: list[tuple[str, int]] = []
        for computed in self.computed:
            if computed.sql is None:
                continue
            for key, expr in computed.sql(self).items():
                private.append((key, len(columns)))
                columns.append(expr.label(key))
        self.select_columns = columns
        self.plan = plan
        self.private = private
        # The plan's columns lead the select in order: a row zips straight into its keys.
        self.output_keys = tuple(name for name, _, _ in plan)
        self.row_keys = (*self.output_keys, *(key for key, _ in private))
        self.formatted = tuple(
            (name, fmt)
            for name in self.output_keys
            if (fmt := _value_formatter(self.kinds[name])) is not None
        )

    def _compile_inputs(self) -> None:
        decl = self.decl
        create: dict[str, Any] = {}
        update: dict[str, Any] = {}
        primary: set[str] = set()
        extension: set[str] = set()
        for name in decl.writable:
            if name in decl.files:
                continue  # uploads are validated by the file pipeline
            if name not in self.columns:
                raise ValueError(f"{self.name}: writable field {name!r} is not a column")
            annotation = self.input_annotation(name)
            rule = decl.rules.get(name)
            required = bool(rule and rule.required)
            create[name] = (annotation, ... if required else None)
            update[name] = (annotation, None)
            (primary if self.column_home[name] is self.table else extension).add(name)
        for name, upload in decl.files.items():
            for column in (upload.column or name, upload.filename_column):
                if column is None:
                    continue
                if column not in self.column_home:
                    raise ValueError(f"{self.name}: file column {column!r} is not a column")
                (primary if self.column_home[column] is self.table else extension).add(column)
        config = ConfigDict(extra="ignore", protected_namespaces=())
        label = re.sub(r"\W", "", decl.label)
        self.create_model = create_model(f"{label}Create", __config__=config, **create)
        self.update_model = create_model(f"{label}Update", __config__=config, **update)
        self.writable_primary = frozenset(primary)
        self.writable_ext = frozenset(extension)

    def input_annotation(self, name: str) -> Any:
        """The Pydantic type of one writable field, from its column plus its rules."""
        kind = self.kinds[name]
        rule = self.decl.rules.get(name)
        annotation: Any
        if rule is not None and rule.choices is not None:
            annotation = Literal[rule.choices]
        elif kind == "int":
            low = rule.minimum if rule is not None and rule.minimum is not None else INT64_MIN
            if name.endswith("_id"):
                low = max(low, 1)
            annotation = Annotated[int, Field(ge=low, le=INT64_MAX)]
        elif kind in ("str", "text"):
            limit = (rule.max_length if rule else None) or self.max_lengths[name] or STRING_MAX
            pattern = rule.pattern if rule else None
            annotation = Annotated[str, Field(max_length=limit, pattern=pattern)]
        elif kind == "bool":
            annotation = bool
        elif kind == "datetime":
            annotation = DateTimeInput
        elif kind == "float":
            annotation = float
        else:
            annotation = Any
        if self.nullable.get(name, True):
            annotation = annotation | None
        return annotation

    def resolve(self, path: str) -> tuple[list[BoundRelation], str] | None:
        """``rank.name`` -> ([rank], "name") when every hop exists; else ``None``."""
        hops: list[BoundRelation] = []
        current: Compiled = self
        parts = path.split(".")
        for part in parts[:-1]:
            relation = current.relations.get(part)
            if relation is None or relation.target is None:
                return None
            hops.append(relation)
            current = relation.target
        if parts[-1] not in current.columns:
            return None
        return hops, parts[-1]

    def label_for(self, row_id: int) -> str:
        return f"{self.decl.label}: {row_id}"


def _formatter(kind: Kind) -> Formatter:
    if kind == "datetime":
        return lambda value: None if value is None else format_datetime(value)
    return None


def _value_formatter(kind: Kind) -> Callable[[Any], Any] | None:
    """How a column's non-null value goes on the wire, when not as read."""
    return format_datetime if kind == "datetime" else None


class Registry(NamedResources[Compiled]):
    """Every resource of the face, bound to each other (relations resolve by name)."""

    def __init__(self, declarations: Iterable[Resource]) -> None:
        super().__init__((Compiled(decl) for decl in declarations), lambda c: c.decl.name)
        self.resources = self.by_name
        self.morph_types: dict[str, Compiled] = {
            c.decl.morph_type: c for c in self.resources.values() if c.decl.morph_type
        }
        self.by_permission: dict[str, Compiled] = {
            c.decl.permission: c for c in self.resources.values()
        }
        for compiled in self.resources.values():
            compiled.bind(self)
        self._referrers = self._find_referrers()

    def referrers(self, target: Compiled) -> list[tuple[Compiled, str]]:
        """``(resource, fk column)`` pairs that point at ``target`` (nulled on its delete)."""
        return self._referrers.get(target.name, [])

    def _find_referrers(self) -> Mapping[str, list[tuple[Compiled, str]]]:
        found: dict[str, list[tuple[Compiled, str]]] = {}
        for compiled in self.resources.values():
            for relation in compiled.relations.values():
                if isinstance(relation.spec, BelongsTo) and relation.target is not None:
                    entry = (compiled, relation.spec.key)
                    bucket = found.setdefault(relation.target.name, [])
                    if entry not in bucket:
                        bucket.append(entry)
        return found


__all__ = [
    "BelongsTo",
    "BelongsToMany",
    "BoundRelation",
    "Compiled",
    "HasMany",
    "MorphOne",
    "MorphTo",
    "Registry",
    "Whitelist",
    "_aware",
    "format_datetime",
    "parse_datetime",
]
