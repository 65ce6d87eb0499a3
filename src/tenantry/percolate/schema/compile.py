"""A checked schema definition compiled to a Draft 2020-12 JSON Schema and its validator.

:func:`compile_schema` gives each field its stored value shape (nullable unless required)
and each data-carrying plugin its own key, notes where references may sit, and adds the
guards JSON Schema cannot state (a date range in order, plugin offsets within their text).
Compiled schemas are cached by schema id and version: a version never changes (editing a
schema makes a new one).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator

from tenantry.core.errors import FieldError
from tenantry.percolate.schema.definition import (
    ID_PATTERNS,
    REFERENCE_FIELD_KINDS,
    REFERENCE_KINDS,
    FieldSpec,
    PluginSpec,
    SchemaDefinition,
    parse_definition,
)
from tenantry.percolate.schema.dialect import FORMATS, step

__all__ = [
    "Check",
    "CompiledSchema",
    "CompiledSchemaCache",
    "compile_schema",
    "compiled_schemas",
]

Check = Callable[[Mapping[str, Any], str], Iterator[FieldError]]


@dataclass(frozen=True, slots=True)
class _Guard:
    """A rule JSON Schema cannot state, run on fields whose shape is already valid."""

    field_keys: tuple[str, ...]
    check: Check


@dataclass(frozen=True, slots=True)
class CompiledSchema:
    """A definition ready to validate values: its JSON Schema, validator and reference map."""

    definition: SchemaDefinition
    json_schema: Mapping[str, Any]
    validator: Any = field(repr=False)
    reference_paths: Mapping[str, tuple[str, ...]]
    """Where each kind of reference may sit, as JSONPath patterns below ``$.ext``."""
    guards: tuple[_Guard, ...] = field(default=(), repr=False)

    @property
    def keys(self) -> frozenset[str]:
        """The keys ``ext`` may have: field keys and data-carrying plugin keys."""
        return frozenset(self.json_schema["properties"])


def compile_schema(
    definition: SchemaDefinition | Mapping[str, Any],
    *,
    schema_id: int | None = None,
    version: int | None = None,
    cache: CompiledSchemaCache | None = None,
) -> CompiledSchema:
    """Compile ``definition``; with ``schema_id`` and ``version``, through the cache (by
    default the process-wide :data:`compiled_schemas`)."""
    if schema_id is not None and version is not None:
        chosen = cache if cache is not None else compiled_schemas
        return chosen.get(schema_id, version, lambda: compile_schema(definition))
    if not isinstance(definition, SchemaDefinition):
        definition = parse_definition(definition)
    properties: dict[str, Any] = {}
    required: list[str] = []
    references: dict[str, list[str]] = {kind: [] for kind in REFERENCE_KINDS}
    guards: list[_Guard] = []
    by_key = {spec.key: spec for spec in definition.fields}
    with_autocomplete = {p.field_key for p in definition.plugins if p.type == "autocomplete"}
    for spec in definition.fields:
        properties[spec.key] = _field_schema(spec, spec.key in with_autocomplete)
        if spec.required:
            required.append(spec.key)
        _collect_paths(spec, f"$.ext{step(spec.key)}", references)
        guards.extend(_field_guards(spec))
    for plugin in definition.plugins:
        target = by_key[plugin.field_key]
        plugin_schema = _plugin_schema(plugin)
        if plugin_schema is None:
            continue
        properties[plugin.key] = _nullable(plugin_schema)
        guards.extend(_plugin_guards(plugin, target))
        if plugin.type in {"links", "tracking_tags"}:
            references["tracking_tag"].append(f"$.ext{step(plugin.key)}[*].tracking_tag_ids[*]")
    json_schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }
    return CompiledSchema(
        definition=definition,
        json_schema=json_schema,
        validator=Draft202012Validator(json_schema, format_checker=FORMATS),
        reference_paths={kind: tuple(paths) for kind, paths in references.items() if paths},
        guards=tuple(guards),
    )


def _field_schema(spec: FieldSpec, autocomplete: bool = False) -> dict[str, Any]:
    """The stored value shape of one field (seed's table), nullable unless required."""
    ext = spec.ext or {}
    kind = spec.type
    schema: dict[str, Any]
    if kind in REFERENCE_FIELD_KINDS:
        schema = _id_list(REFERENCE_FIELD_KINDS[kind], ext.get("limit"), nested=kind == "asset")
    elif kind == "currency":
        schema = {
            "type": "object",
            "required": ["currency", "amount"],
            "properties": {
                "currency": {
                    "type": "string",
                    "pattern": "^[A-Z]{3}$",
                    "x-message": "must be an ISO 4217 code such as USD",
                },
                "amount": {
                    "type": "string",
                    "pattern": r"^-?[0-9]{1,15}(\.[0-9]{1,4})?$",
                    "x-message": "must be a decimal string such as 20.0000",
                },
            },
            "additionalProperties": False,
        }
    elif kind == "date-range":
        day = {"type": "string", "format": "date"}
        schema = {
            "type": "object",
            "required": ["from", "to"],
            "properties": {"from": day, "to": day},
            "additionalProperties": False,
        }
    elif kind == "date":
        schema = {"type": "string", "format": "date-time"}
    elif kind == "email":
        schema = {"type": "string", "format": "email", "maxLength": 320}
    elif kind in {"html", "hidden", "text", "textarea"}:
        schema = {"type": "string"}
        if ext.get("max_length") is not None:
            schema["maxLength"] = ext["max_length"]
        if kind == "text":
            schema["pattern"] = r"^[^\r\n]*$"
            schema["x-message"] = "must be a single line"
    elif kind == "number":
        schema = {"type": "number"}
    elif kind == "select":
        schema = _choice(ext, autocomplete)
    elif kind == "multi-select":
        schema = {"type": "array", "items": _choice(ext, autocomplete), "uniqueItems": True}
        if ext.get("limit") is not None:
            schema["maxItems"] = ext["limit"]
    elif kind == "string-array":
        schema = {"type": "array", "items": {"type": "string"}}
        if ext.get("limit") is not None:
            schema["maxItems"] = ext["limit"]
    elif kind == "object-array":
        item: dict[str, Any] = {"type": "object"}
        if spec.fields:
            item["properties"] = {sub.key: _field_schema(sub) for sub in spec.fields}
            item["required"] = [sub.key for sub in spec.fields if sub.required]
            item["additionalProperties"] = False
        schema = {"type": "array", "items": item}
        if ext.get("limit") is not None:
            schema["maxItems"] = ext["limit"]
    else:  # pragma: no cover - parse_definition admits only FIELD_TYPES
        raise ValueError(f"unknown field type {kind!r}")
    if spec.required:
        if schema.get("type") == "string":
            schema["minLength"] = 1
        elif schema.get("type") == "array":
            schema["minItems"] = 1
        return schema
    return _nullable(schema)


def _id_list(kind: str, limit: int | None, *, nested: bool = False) -> dict[str, Any]:
    identifier = {
        "type": "string",
        "pattern": ID_PATTERNS[kind],
        "x-message": f"must be an id such as {kind}:1",
    }
    item: dict[str, Any] = identifier
    if nested:
        # Asset fields also come as groups of ids ([["asset:1", "asset:2"]], SDK fixtures):
        # an item is an id or a list of ids, each keyword applying to its own JSON type.
        item = {
            "type": ["string", "array"],
            "pattern": identifier["pattern"],
            "x-message": f"must be an id such as {kind}:1, or a list of them",
            "items": identifier,
        }
        if limit is not None:
            item["maxItems"] = limit
    schema: dict[str, Any] = {"type": "array", "items": item}
    if limit is not None:
        schema["maxItems"] = limit
    return schema


def _choice(ext: Mapping[str, Any], autocomplete: bool) -> dict[str, Any]:
    """A select value: one of ``ext.values`` (any scalar), or free when the options come
    from an autocomplete search."""
    values = ext.get("values")
    if values and not autocomplete:
        return {"enum": [choice["value"] for choice in values]}
    return {"type": ["string", "number", "boolean"]}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """Allow null (an optional field left empty) without an ``anyOf``, which would blur
    the error messages: every keyword we use applies to its own JSON type only."""
    result = dict(schema)
    if "enum" in result:
        result["enum"] = [*result["enum"], None]
    else:
        kinds = result["type"] if isinstance(result["type"], list) else [result["type"]]
        result["type"] = [*kinds, "null"]
    return result


def _plugin_schema(plugin: PluginSpec) -> dict[str, Any] | None:
    """The data a plugin stores under its key (reference §3.12); autocomplete stores none."""
    integer = {"type": "integer", "minimum": 0}
    tags = {
        "type": "array",
        "items": {
            "type": "string",
            "pattern": ID_PATTERNS["tracking_tag"],
            "x-message": "must be a tracking tag id such as tracking_tag:1",
        },
    }
    if plugin.type == "mentions":
        item = {
            "type": "object",
            "required": ["value", "offset", "length"],
            "properties": {"value": {"type": "string"}, "offset": integer, "length": integer},
            "additionalProperties": False,
        }
        return {"type": "array", "items": item}
    if plugin.type == "links":
        item = {
            "type": "object",
            "required": ["url", "offset", "length"],
            "properties": {
                "url": {"type": "string", "format": "http-url"},
                "offset": integer,
                "length": integer,
                "shorten": {"type": "boolean"},
                "track": {"type": "boolean"},
                "short_url": {"type": "string"},
                "tracking_tag_ids": tags,
                "tracking_url": {"type": "string"},
            },
            "additionalProperties": False,
        }
        return {"type": "array", "items": item}
    if plugin.type == "timezone":
        return {"type": "string", "format": "timezone"}
    if plugin.type == "tracking_tags":
        item = {
            "type": "object",
            "required": ["link_id", "tracking_tag_ids"],
            "properties": {
                "link_id": {
                    "type": "string",
                    "pattern": ID_PATTERNS["link"],
                    "x-message": "must be a link id such as link:1",
                },
                "tracking_tag_ids": tags,
            },
            "additionalProperties": False,
        }
        return {"type": "array", "items": item}
    return None


def _collect_paths(spec: FieldSpec, path: str, references: dict[str, list[str]]) -> None:
    kind = REFERENCE_FIELD_KINDS.get(spec.type)
    if kind is not None:
        references[kind].append(f"{path}[*]")
        if spec.type == "asset":
            references[kind].append(f"{path}[*][*]")
    for sub in spec.fields:
        _collect_paths(sub, f"{path}[*]{step(sub.key)}", references)


def _field_guards(spec: FieldSpec) -> list[_Guard]:
    if spec.type != "date-range":
        return []

    def ordered(values: Mapping[str, Any], root: str) -> Iterator[FieldError]:
        value = values.get(spec.key)
        if isinstance(value, dict) and value.get("from", "") > value.get("to", ""):
            yield FieldError(
                key=f"{root}{step(spec.key)}.to",
                message="must not be before from",
                value=value.get("to"),
            )

    return [_Guard((spec.key,), ordered)]


def _plugin_guards(plugin: PluginSpec, target: FieldSpec) -> list[_Guard]:
    keys = (plugin.key, target.key)
    if plugin.type in {"mentions", "links"}:

        def within_text(values: Mapping[str, Any], root: str) -> Iterator[FieldError]:
            text, entries = values.get(target.key), values.get(plugin.key)
            if not isinstance(entries, list):
                return
            # Offsets count UTF-16 code units, as the JavaScript editors that make them do.
            size = len(text.encode("utf-16-le")) // 2 if isinstance(text, str) else 0
            for index, entry in enumerate(entries):
                if entry["offset"] + entry["length"] > size:
                    yield FieldError(
                        key=f"{root}{step(plugin.key)}[{index}]",
                        message=f"offset and length must lie within {target.key}",
                        code="out_of_range",
                    )

        return [_Guard(keys, within_text)]
    if plugin.type == "tracking_tags":

        def known_links(values: Mapping[str, Any], root: str) -> Iterator[FieldError]:
            links, entries = values.get(target.key), values.get(plugin.key)
            if not isinstance(entries, list):
                return
            present = set(links) if isinstance(links, list) else set()
            for index, entry in enumerate(entries):
                if entry["link_id"] not in present:
                    yield FieldError(
                        key=f"{root}{step(plugin.key)}[{index}].link_id",
                        message=f"must be one of the links in {target.key}",
                        value=entry["link_id"],
                    )

        return [_Guard(keys, known_links)]
    return []


# --- the cache -----------------------------------------------------------------------------


class CompiledSchemaCache:
    """Compiled schemas by (schema id, version), least recently used evicted first.

    Safe because a version is immutable and ids are unique across tenants (one allocator).
    """

    def __init__(self, maxsize: int = 512) -> None:
        self.maxsize = maxsize
        self._entries: OrderedDict[tuple[int, int], CompiledSchema] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(
        self, schema_id: int, version: int, compile: Callable[[], CompiledSchema]
    ) -> CompiledSchema:
        key = (schema_id, version)
        found = self._entries.get(key)
        if found is not None:
            self._entries.move_to_end(key)
            self.hits += 1
            return found
        self.misses += 1
        compiled = compile()
        self._entries[key] = compiled
        while len(self._entries) > self.maxsize:
            self._entries.popitem(last=False)
        return compiled

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


compiled_schemas = CompiledSchemaCache()
"""The process-wide cache :func:`compile_schema` uses."""
