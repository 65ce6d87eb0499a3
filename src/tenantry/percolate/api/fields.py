"""Wire fields: each field of a v5 object declared once, with its schema and its source.

A resource lists its :class:`WireField` s in wire order; from that one tuple come the columns
to select (:func:`columns_of`), the OpenAPI object schema (:func:`schema_of`) and the
presenter (:func:`compile_presenter`). The presenter is the hot read path (a page formats a
few thousand values), so it is compiled once into one function that builds the object as a
single dict display, as a hand-written presenter would: each field contributes a Python
expression over ``row`` and ``ctx``, and only :func:`computed` fields cost a call. The
generated source is the presenter's ``__doc__``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Boolean, Integer, String
from sqlalchemy.sql.elements import Label

from tenantry.percolate.api.context import V5Context
from tenantry.percolate.api.ids import SCOPE_PATTERN
from tenantry.percolate.api.schemas import nullable
from tenantry.percolate.api.wire import timestamp as format_timestamp

__all__ = [
    "SCOPE_ID",
    "TIMESTAMP",
    "Getter",
    "Presenter",
    "WireField",
    "column",
    "column_list",
    "columns_of",
    "compile_presenter",
    "computed",
    "constant",
    "formatted",
    "id_schema",
    "nullable",
    "row_of",
    "schema_of",
    "scope",
    "scope_columns_of",
    "timestamp",
    "typed_by",
    "typed_id",
    "typed_ids",
]

Getter = Callable[[Mapping[Any, Any], V5Context], Any]
Presenter = Callable[[Mapping[Any, Any], V5Context | None], dict[str, Any]]
"""Row (a ``RowMapping``, or any mapping of the same keys) to object; the context may be
``None`` when no field reads it."""

TIMESTAMP: dict[str, Any] = {
    "type": "string",
    "format": "date-time",
    "examples": ["2016-02-25T15:02:52+00:00"],
}
SCOPE_ID: dict[str, Any] = {"type": "string", "pattern": SCOPE_PATTERN}
_WORD = re.compile(r"^[a-z][a-z_]*$")
_LITERALS = (type(None), bool, int, str)
_EMPTY = {"null": "None", "object": "{}"}


def id_schema(prefix: str) -> dict[str, Any]:
    """A typed id such as ``user:12``."""
    return {"type": "string", "pattern": rf"^{prefix}:\d+$"}


@dataclass(frozen=True)
class WireField:
    """One field of a wire object.

    ``code`` is a Python expression over ``row`` (the selected row) and ``ctx`` (the
    request context) that may use the names bound in ``env``; ``needs`` are the columns it
    reads. The helpers below build these; a field the helpers do not cover is
    :func:`computed`."""

    name: str
    schema: dict[str, Any]
    code: str
    needs: tuple[Any, ...] = ()
    env: tuple[tuple[str, Any], ...] = ()
    scope_key: str | None = None
    """For :func:`scope` fields: the column whose scope kinds a page loads before presenting."""


def _key(selectable: Any) -> str:
    """The key a selected column has in the row mapping (an attribute, a table column or a
    label), checked to be a plain name so it can be written into generated code."""
    key = selectable.key
    if not isinstance(key, str) or not key.isidentifier():
        raise ValueError(f"cannot present column {selectable!r}")
    return key


def _read(selectable: Any) -> str:
    return f"row[{_key(selectable)!r}]"


def _table_column(selectable: Any) -> Any:
    """The ``Column`` behind an ORM attribute, a table column or a label of one."""
    if isinstance(selectable, Label):
        selectable = selectable.element
    return getattr(selectable, "expression", selectable)


def _is_nullable(selectable: Any) -> bool:
    return bool(getattr(_table_column(selectable), "nullable", True))


def _derived_schema(selectable: Any) -> dict[str, Any]:
    """The JSON schema of a column read as is: from its SQL type and nullability."""
    sql_type = _table_column(selectable).type
    schema: dict[str, Any]
    if isinstance(sql_type, Boolean):
        schema = {"type": "boolean"}
    elif isinstance(sql_type, Integer):
        schema = {"type": "integer"}
    elif isinstance(sql_type, String):
        schema = {"type": "string"}
    else:
        raise ValueError(f"give the schema of {selectable!r}: its type is not a JSON scalar")
    return nullable(schema) if _is_nullable(selectable) else schema


def column(
    selectable: Any,
    schema: dict[str, Any] | None = None,
    *,
    name: str | None = None,
    empty_as: Literal["null", "object"] | None = None,
    convert: Callable[[Any], Any] | None = None,
    fallback: Any = None,
    item: str | None = None,
) -> WireField:
    """A column, named like it unless ``name`` says otherwise; the schema follows from the
    column's type unless given. An empty value is replaced by null or a fresh ``{}``
    (``empty_as``) or by another column's (``fallback``); ``item`` reads one key of a JSON
    object column (a fresh ``[]`` when missing); ``convert`` maps the value (one call, no
    row)."""
    wire_name = name or _key(selectable)
    code = _read(selectable)
    needs: tuple[Any, ...] = (selectable,)
    env: tuple[tuple[str, Any], ...] = ()
    if empty_as is not None:
        code = f"({code} or {_EMPTY[empty_as]})"
    if fallback is not None:
        code = f"({code} or {_read(fallback)})"
        needs = (selectable, fallback)
    if item is not None:
        code = f"{code}.get({item!r}, [])"
    if convert is not None:
        bound = _bound_name("convert", wire_name)
        code, env = f"{bound}({code})", ((bound, convert),)
    if schema is None:
        schema = _derived_schema(selectable)
    return WireField(wire_name, schema, code, needs, env)


def _bound_name(role: str, wire_name: str) -> str:
    """The name a field's function has in the generated presenter."""
    return f"_{role}_" + re.sub(r"\W", "_", wire_name)


def column_list(selectable: Any, schema: dict[str, Any], *, name: str | None = None) -> WireField:
    """An array column as a list (``[]`` for a missing one)."""
    return WireField(
        name or _key(selectable), schema, f"list({_read(selectable)} or ())", (selectable,)
    )


def _prefix(prefix: str) -> str:
    if not _WORD.match(prefix):
        raise ValueError(f"not a type word: {prefix!r}")
    return prefix


def typed_id(
    prefix: str,
    selectable: Any,
    *,
    name: str | None = None,
    schema: dict[str, Any] | None = None,
) -> WireField:
    """A key column as a typed id (``platform:3``); null stays null on a nullable column."""
    read = _read(selectable)
    shown = id_schema(_prefix(prefix)) if schema is None else schema
    if _is_nullable(selectable):
        code = f'(None if (_v := {read}) is None else f"{prefix}:{{_v}}")'
        shown = nullable(shown) if schema is None else shown
    else:
        code = f'f"{prefix}:{{{read}}}"'
    return WireField(name or _key(selectable), shown, code, (selectable,))


def typed_ids(
    prefix: str,
    selectable: Any,
    *,
    name: str | None = None,
    schema: dict[str, Any] | None = None,
) -> WireField:
    """An array of keys as typed ids (``["term:1", "term:2"]``)."""
    code = f'[f"{_prefix(prefix)}:{{_k}}" for _k in {_read(selectable)} or ()]'
    shown = {"type": "array", "items": id_schema(prefix)} if schema is None else schema
    return WireField(name or _key(selectable), shown, code, (selectable,))


_LITERAL_TEXT = re.compile(r'^[^{}"\\\n]*$')


def formatted(name: str, template: str, *columns: Any, schema: dict[str, Any]) -> WireField:
    """Columns written into a template, one ``{}`` each (``"schema:{}_{}"``)."""
    texts = template.split("{}")
    if len(texts) != len(columns) + 1 or not all(_LITERAL_TEXT.match(t) for t in texts):
        raise ValueError(f"bad template {template!r} for {len(columns)} columns")
    inner = "".join(f"{text}{{{_read(c)}}}" for text, c in zip(texts, columns, strict=False))
    return WireField(name, schema, f'f"{inner}{texts[-1]}"', columns)


def typed_by(name: str, kind_column: Any, key_column: Any, schema: dict[str, Any]) -> WireField:
    """A typed id whose type word is a column too (``post:12`` from ``object_kind``)."""
    return formatted(name, "{}:{}", kind_column, key_column, schema=schema)


def scope(selectable: Any, *, system: Any = None, name: str = "scope_id") -> WireField:
    """The owning scope as a wire id (``license:4``, ``account:<tenant>``; with a ``system``
    column, ``builtin_scope:system`` for built-ins)."""
    read = _read(selectable)
    needs: tuple[Any, ...] = (selectable,)
    if system is None:
        code = f"ctx.scope_wire({read})"
    else:
        code = f"ctx.scope_wire({read}, system=bool({_read(system)}))"
        needs = (selectable, system)
    return WireField(name, SCOPE_ID, code, needs, scope_key=_key(selectable))


def timestamp(selectable: Any, *, name: str | None = None) -> WireField:
    """A moment in Percolate's format; nullable when the column is."""
    schema = nullable(TIMESTAMP) if _is_nullable(selectable) else TIMESTAMP
    code = f"_timestamp({_read(selectable)})"
    return WireField(
        name or _key(selectable),
        schema,
        code,
        (selectable,),
        (("_timestamp", format_timestamp),),
    )


def constant(
    name: str, value: bool | int | str | list[Any] | None, schema: dict[str, Any]
) -> WireField:
    """A value every object has (a field Tenantry keeps no data for); ``[]`` is fresh per row."""
    if isinstance(value, list):
        if value:
            raise ValueError("a constant list must be empty")
        return WireField(name, schema, "[]")
    if not isinstance(value, _LITERALS):
        raise ValueError(f"not a literal: {value!r}")
    return WireField(name, schema, repr(value))


def computed(
    name: str, value: Getter, schema: dict[str, Any], *, needs: Iterable[Any] = ()
) -> WireField:
    """A value computed from the row (and the context) by ``value``."""
    bound = _bound_name("computed", name)
    return WireField(name, schema, f"{bound}(row, ctx)", tuple(needs), ((bound, value),))


def columns_of(fields: Iterable[WireField], first: Iterable[Any] = ()) -> tuple[Any, ...]:
    """The columns the fields read (after ``first``), each once."""
    chosen: dict[str, Any] = {}
    for selectable in (*first, *(need for f in fields for need in f.needs)):
        chosen.setdefault(_key(selectable), selectable)
    return tuple(chosen.values())


def row_of(instance: object, columns: Iterable[Any]) -> dict[str, Any]:
    """A loaded ORM object as the row a presenter reads: its values of ``columns``."""
    return {key: getattr(instance, key) for key in (_key(c) for c in columns)}


def scope_columns_of(fields: Iterable[WireField]) -> tuple[str, ...]:
    """The columns of the :func:`scope` fields."""
    return tuple(dict.fromkeys(f.scope_key for f in fields if f.scope_key is not None))


def schema_of(fields: Iterable[WireField]) -> dict[str, Any]:
    """The OpenAPI object schema: every property present (nullable ones say so), in wire
    order."""
    properties = {f.name: f.schema for f in fields}
    return {"type": "object", "required": list(properties), "properties": properties}


def compile_presenter(fields: Iterable[WireField], name: str = "present") -> Presenter:
    """One function returning the object as a dict display, fields in declaration order."""
    fields = tuple(fields)
    names = [f.name for f in fields]
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate wire fields in {names}")
    env: dict[str, Any] = {}
    for wire_field in fields:
        for bound, value in wire_field.env:
            if env.setdefault(bound, value) is not value:
                raise ValueError(f"two fields bind {bound!r} to different values")
    entries = "".join(f"        {f.name!r}: {f.code},\n" for f in fields)
    source = f"def {name}(row, ctx):\n    return {{\n{entries}    }}\n"
    namespace: dict[str, Any] = dict(env)
    exec(compile(source, f"<wire fields of {name}>", "exec"), namespace)
    present: Presenter = namespace[name]
    present.__doc__ = source
    return present
