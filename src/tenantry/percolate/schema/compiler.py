"""Percolate schemas (reference §3.12): definitions checked on input, compiled to JSON Schema.

A schema definition lists ``fields`` (17 types, each with its ``ext`` options and its stored
value shape), ``fieldsets`` that group them and ``plugins`` that store extra data next to a
field (mentions and links in a textarea, a timezone for a date, tracking tags for links).

:func:`parse_definition` checks a definition and reports every problem at its path
(``$.fields[3].key``). :func:`compile_schema` turns a definition into a Draft 2020-12 JSON
Schema with a ``jsonschema`` validator, cached by schema id and version (a version never
changes: editing a schema makes a new one). :func:`validate_values` checks an object's
``ext`` against it and answers with :class:`FieldError` s keyed ``$.ext.<field>[...]``.
:func:`collect_references` lists the term, asset, link, post-attachment and tracking-tag ids a
valid ``ext`` holds, so the service can check that they exist in the tenant with one query
per kind (:func:`missing_reference_errors` turns the answer into errors).

Values are walked once before validation to refuse what is too deep or too large, so neither
the validator's recursion nor a 10 MB document reaches further than that walk.
"""

from __future__ import annotations

import json
import math
import re
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from typing import Any, Final, cast
from urllib.parse import urlsplit
from zoneinfo import available_timezones

from email_validator import EmailNotValidError, validate_email
from jsonschema import (
    Draft202012Validator,
    FormatChecker,
    ValidationError,
)

from tenantry.core.errors import FieldError, ValidationFailed

__all__ = [
    "FIELD_TYPES",
    "MAX_VALUE_CHARS",
    "MAX_VALUE_DEPTH",
    "MAX_VALUE_NODES",
    "PLUGIN_TYPES",
    "READ_ONLY_PLUGIN_PROPERTIES",
    "REFERENCE_KINDS",
    "RESOURCE_TYPES",
    "SCHEMA_TYPES",
    "CompiledSchema",
    "CompiledSchemaCache",
    "FieldSpec",
    "FieldsetSpec",
    "PluginSpec",
    "Reference",
    "SchemaDefinition",
    "collect_references",
    "compile_schema",
    "compiled_schemas",
    "missing_reference_errors",
    "parse_definition",
    "references_by_kind",
    "validate_values",
]

FIELD_TYPES: Final = (
    "asset",
    "currency",
    "date-range",
    "date",
    "email",
    "html",
    "hidden",
    "link",
    "multi-select",
    "number",
    "select",
    "string-array",
    "term",
    "text",
    "textarea",
    "object-array",
    "post_attachment",
)
PLUGIN_TYPES: Final = ("autocomplete", "mentions", "links", "timezone", "tracking_tags")
SCHEMA_TYPES: Final = (
    "campaign_section",
    "post",
    "targeting",
    "metadata",
    "post_attachment",
    "intake_request",
)
RESOURCE_TYPES: Final = (
    "all",
    "asset",
    "campaign",
    "campaign_section",
    "channel",
    "monitoring_flag",
    "post",
    "targeting",
    "task",
)
REFERENCE_KINDS: Final = ("asset", "term", "link", "post_attachment", "tracking_tag")

READ_ONLY_PLUGIN_PROPERTIES: Mapping[str, tuple[str, ...]] = {
    "links": ("short_url", "tracking_url"),
}
"""Plugin data the server computes: accepted on input (clients send back what they read) but
to be overwritten by the service (the links plugin's short and tracking URLs)."""

PLUGIN_FIELD_TYPES: Mapping[str, frozenset[str]] = {
    "autocomplete": frozenset({"select", "multi-select"}),
    "mentions": frozenset({"textarea"}),
    "links": frozenset({"textarea"}),
    "timezone": frozenset({"date"}),
    "tracking_tags": frozenset({"link"}),
}

KEY_PATTERN: Final = r"^[A-Za-z0-9_][A-Za-z0-9_-]{0,99}$"
"""Field and plugin keys: no ``.`` or ``/``, which the ``metadata.{schema}.{path}`` list
filters use as separators, so every key is addressable there and in error paths."""

MAX_FIELDS: Final = 500
MAX_PLUGINS: Final = 100
MAX_FIELDSETS: Final = 100
MAX_CHOICES: Final = 1000
MAX_DEFINITION_DEPTH: Final = 3
"""How deep ``object-array`` fields may nest sub-fields."""

MAX_VALUE_DEPTH: Final = 16
"""Containers below ``ext`` (an object-array item's object is at depth 2)."""
MAX_VALUE_NODES: Final = 20_000
MAX_VALUE_CHARS: Final = 2_000_000
"""Characters of text (keys and strings) in one ``ext``: about 2 MB of UTF-8 prose."""
MAX_ERRORS: Final = 100

_ID_PATTERNS: Mapping[str, str] = {
    "asset": r"^asset:[0-9]{1,18}$",
    "term": r"^term:[A-Za-z0-9]{1,40}$",
    "link": r"^link:[0-9]{1,18}$",
    "post_attachment": r"^post_attachment:[0-9]{1,18}$",
    "tracking_tag": r"^tracking_tag:[0-9]{1,18}$",
}
_REFERENCE_FIELD_KINDS: Mapping[str, str] = {
    "asset": "asset",
    "term": "term",
    "link": "link",
    "post_attachment": "post_attachment",
}
_IDENTIFIER = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]*$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)
_DATE_TIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$", re.ASCII
)


# --- formats -------------------------------------------------------------------------------

FORMATS = FormatChecker(formats=())
"""Our own format checks, asserted (not just annotated) by every validator here."""


@FORMATS.checks("date")
def _is_date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _DATE.match(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


@FORMATS.checks("date-time")
def _is_date_time(value: object) -> bool:
    """ISO 8601 with seconds and an explicit offset: a time without a zone is ambiguous."""
    if not isinstance(value, str):
        return True
    if not _DATE_TIME.match(value):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


@FORMATS.checks("email")
def _is_email(value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


@FORMATS.checks("timezone")
def _is_timezone(value: object) -> bool:
    """An IANA name (``America/New_York``, ``US/Eastern``, ``UTC``); abbreviations such as
    ``EST`` are in the database for history but rejected, as Percolate does."""
    if not isinstance(value, str):
        return True
    return (value == "UTC" or "/" in value) and value in _timezones()


@FORMATS.checks("http-url")
def _is_http_url(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if len(value) > 2048 or any(ch.isspace() for ch in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in {"http", "https"} and bool(parts.hostname)


@cache
def _timezones() -> frozenset[str]:
    return frozenset(available_timezones())


_FORMAT_WORDS: Mapping[str, str] = {
    "date": "a date such as 2014-12-25",
    "date-time": "a date-time with a UTC offset such as 2014-04-30T20:32:18+00:00",
    "email": "a valid email address",
    "timezone": "an IANA timezone name such as America/New_York",
    "http-url": "an absolute http or https URL",
}


# --- definitions ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One field: where its value lives (``key``), what it holds (``type`` and ``ext``)."""

    key: str
    type: str
    label: str | None = None
    description: str | None = None
    required: bool = False
    ext: Mapping[str, Any] | None = None
    fields: tuple[FieldSpec, ...] = ()
    """An ``object-array``'s item fields (``ext.fields``); empty means free-form items."""

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "description": self.description,
            "required": self.required,
            "type": self.type,
            "ext": None if self.ext is None else dict(self.ext),
        }


@dataclass(frozen=True, slots=True)
class PluginSpec:
    key: str
    type: str
    field_key: str
    ext: Mapping[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "type": self.type,
            "field_key": self.field_key,
            "ext": None if self.ext is None else dict(self.ext),
        }


@dataclass(frozen=True, slots=True)
class FieldsetSpec:
    field_keys: tuple[str, ...]
    key: str | None = None
    label: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, "field_keys": list(self.field_keys)}


@dataclass(frozen=True, slots=True)
class SchemaDefinition:
    """The checked content part of a schema, in the order the client gave it."""

    fields: tuple[FieldSpec, ...] = ()
    fieldsets: tuple[FieldsetSpec, ...] = ()
    plugins: tuple[PluginSpec, ...] = ()

    def as_json(self) -> dict[str, Any]:
        """The canonical stored form (what a GET returns)."""
        return {
            "fields": [spec.as_json() for spec in self.fields],
            "fieldsets": [spec.as_json() for spec in self.fieldsets],
            "plugins": [spec.as_json() for spec in self.plugins],
        }


_NULLABLE_TEXT = {"type": ["string", "null"], "maxLength": 5000}
_KEY = {
    "type": "string",
    "pattern": KEY_PATTERN,
    "x-message": "must be 1-100 letters, digits, _ or -",
}
_LIMIT = {"type": "integer", "minimum": 1, "maximum": 10_000}
_MAX_LENGTH = {"type": "integer", "minimum": 1, "maximum": MAX_VALUE_CHARS}
_CHOICES = {
    "type": "array",
    "maxItems": MAX_CHOICES,
    "items": {
        "type": "object",
        "required": ["value"],
        "properties": {
            "value": {"type": ["string", "number", "boolean"]},
            "label": {"type": ["string", "null"], "maxLength": 500},
        },
    },
}

_FIELD_SHAPE = {
    "type": "object",
    "required": ["key", "type"],
    "properties": {
        "key": _KEY,
        "label": {"type": ["string", "null"], "maxLength": 500},
        "description": _NULLABLE_TEXT,
        "required": {"type": "boolean"},
        "type": {"enum": list(FIELD_TYPES)},
        "ext": {"type": ["object", "null"]},
    },
    "additionalProperties": False,
}
_PLUGIN_SHAPE = {
    "type": "object",
    "required": ["key", "type", "field_key"],
    "properties": {
        "key": _KEY,
        "type": {"enum": list(PLUGIN_TYPES)},
        "field_key": {"type": "string", "maxLength": 100},
        "ext": {"type": ["object", "null"]},
    },
    "additionalProperties": False,
}
_FIELDSET_SHAPE = {
    "type": "object",
    "required": ["field_keys"],
    "properties": {
        "key": {**_KEY, "type": ["string", "null"]},
        "label": {"type": ["string", "null"], "maxLength": 500},
        "field_keys": {"type": "array", "items": {"type": "string"}, "maxItems": MAX_FIELDS},
    },
    "additionalProperties": False,
}
_DEFINITION_SHAPE = {
    "type": "object",
    "properties": {
        "fields": {"type": ["array", "null"], "maxItems": MAX_FIELDS},
        "fieldsets": {"type": ["array", "null"], "maxItems": MAX_FIELDSETS},
        "plugins": {"type": ["array", "null"], "maxItems": MAX_PLUGINS},
    },
}


def _ext_shape(properties: Mapping[str, Any], required: Sequence[str] = ()) -> dict[str, Any]:
    """``ext`` options: the known ones are checked, unknown ones are kept as they are."""
    return {"type": "object", "properties": dict(properties), "required": list(required)}


_FIELD_EXT: Mapping[str, dict[str, Any]] = {
    "asset": _ext_shape({"limit": _LIMIT}),
    "link": _ext_shape({"limit": _LIMIT}),
    "term": _ext_shape({"limit": _LIMIT}),
    "post_attachment": _ext_shape({"limit": _LIMIT}),
    "string-array": _ext_shape({"limit": _LIMIT}),
    "multi-select": _ext_shape({"limit": _LIMIT, "values": _CHOICES}),
    "select": _ext_shape({"values": _CHOICES}),
    "text": _ext_shape({"max_length": _MAX_LENGTH}),
    "textarea": _ext_shape({"max_length": _MAX_LENGTH}),
    "html": _ext_shape({"max_length": _MAX_LENGTH}),
    "hidden": _ext_shape({"max_length": _MAX_LENGTH}),
    "object-array": _ext_shape(
        {"limit": _LIMIT, "fields": {"type": "array", "maxItems": MAX_FIELDS}}
    ),
}
_SEARCH_URL = {"type": "string", "minLength": 1, "maxLength": 2048}
_PLUGIN_EXT: Mapping[str, dict[str, Any]] = {
    "autocomplete": _ext_shape({"search_url": _SEARCH_URL}, ["search_url"]),
    "mentions": _ext_shape(
        {"search_url": _SEARCH_URL, "search_trigger": {"type": "string", "maxLength": 200}},
        ["search_url", "search_trigger"],
    ),
}


@cache
def _shape_validator(name: str) -> Any:
    shapes: dict[str, Any] = {
        "definition": _DEFINITION_SHAPE,
        "field": _FIELD_SHAPE,
        "plugin": _PLUGIN_SHAPE,
        "fieldset": _FIELDSET_SHAPE,
        **{f"field-ext:{kind}": schema for kind, schema in _FIELD_EXT.items()},
        **{f"plugin-ext:{kind}": schema for kind, schema in _PLUGIN_EXT.items()},
    }
    return Draft202012Validator(shapes[name], format_checker=FORMATS)


def parse_definition(raw: Mapping[str, Any]) -> SchemaDefinition:
    """Check a schema body's ``fields``, ``fieldsets`` and ``plugins`` (other keys ignored).

    Every problem is reported, each at its path: a malformed field, an unknown type, a
    reused key (at the later ``$.fields[i].key``), a plugin on a missing or unsuitable field,
    a fieldset naming an unknown field. Raises ``ValidationFailed`` listing them.
    """
    errors: list[FieldError] = []
    if not isinstance(raw, Mapping):
        raise ValidationFailed(
            message="The schema definition is invalid.",
            errors=[FieldError(key="$", message="must be an object")],
        )
    errors.extend(_shape_errors("definition", raw, "$"))
    if errors:
        raise ValidationFailed(message="The schema definition is invalid.", errors=errors)
    fields = _parse_fields(raw.get("fields") or [], "$.fields", 1, errors)
    by_key = {spec.key: spec for spec in fields}
    plugins = _parse_plugins(raw.get("plugins") or [], by_key, errors)
    fieldsets = _parse_fieldsets(raw.get("fieldsets") or [], by_key, errors)
    if errors:
        raise ValidationFailed(message="The schema definition is invalid.", errors=errors)
    return SchemaDefinition(fields=fields, fieldsets=fieldsets, plugins=plugins)


def _parse_fields(
    items: Sequence[Any], root: str, depth: int, errors: list[FieldError]
) -> tuple[FieldSpec, ...]:
    specs: list[FieldSpec] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        path = f"{root}[{index}]"
        problems = _shape_errors("field", item, path)
        if not problems:
            kind = item["type"]
            ext = item.get("ext")
            if ext is not None and kind in _FIELD_EXT:
                problems = _shape_errors(f"field-ext:{kind}", ext, f"{path}.ext")
        if problems:
            errors.extend(problems)
            continue
        key = item["key"]
        if key in seen:
            errors.append(
                FieldError(
                    key=f"{path}.key",
                    message=f"is already the key of {root}[{seen[key]}]",
                    value=key,
                    code="duplicate",
                )
            )
            continue
        seen[key] = index
        ext = item.get("ext")
        errors.extend(_choice_errors(ext, f"{path}.ext"))
        sub_fields: tuple[FieldSpec, ...] = ()
        if kind == "object-array" and ext and ext.get("fields") is not None:
            if depth >= MAX_DEFINITION_DEPTH:
                errors.append(
                    FieldError(
                        key=f"{path}.ext.fields",
                        message=f"object-array fields nest at most {MAX_DEFINITION_DEPTH} deep",
                        code="too_deep",
                    )
                )
            else:
                sub_fields = _parse_fields(ext["fields"], f"{path}.ext.fields", depth + 1, errors)
        specs.append(
            FieldSpec(
                key=key,
                type=kind,
                label=item.get("label"),
                description=item.get("description"),
                required=bool(item.get("required", False)),
                ext=None if ext is None else dict(ext),
                fields=sub_fields,
            )
        )
    return tuple(specs)


def _choice_errors(ext: Mapping[str, Any] | None, path: str) -> list[FieldError]:
    """A select's option values must be distinct (else a stored value is ambiguous)."""
    if not ext or not isinstance(ext.get("values"), list):
        return []
    seen: dict[str, int] = {}
    problems = []
    for index, choice in enumerate(ext["values"]):
        marker = json.dumps(choice["value"])
        if marker in seen:
            problems.append(
                FieldError(
                    key=f"{path}.values[{index}].value",
                    message=f"repeats {path}.values[{seen[marker]}].value",
                    value=choice["value"],
                    code="duplicate",
                )
            )
        else:
            seen[marker] = index
    return problems


def _parse_plugins(
    items: Sequence[Any], fields: Mapping[str, FieldSpec], errors: list[FieldError]
) -> tuple[PluginSpec, ...]:
    specs: list[PluginSpec] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        path = f"$.plugins[{index}]"
        problems = _shape_errors("plugin", item, path)
        if not problems and item.get("ext") is not None and item["type"] in _PLUGIN_EXT:
            problems = _shape_errors(f"plugin-ext:{item['type']}", item["ext"], f"{path}.ext")
        if problems:
            errors.extend(problems)
            continue
        key, kind, field_key = item["key"], item["type"], item["field_key"]
        if item.get("ext") is None and kind in _PLUGIN_EXT:
            errors.append(FieldError(key=f"{path}.ext", message="is required", code="required"))
            continue
        target = fields.get(field_key)
        if target is None:
            errors.append(
                FieldError(
                    key=f"{path}.field_key",
                    message="is not a field of this schema",
                    value=field_key,
                )
            )
            continue
        if target.type not in PLUGIN_FIELD_TYPES[kind]:
            allowed = " or ".join(sorted(PLUGIN_FIELD_TYPES[kind]))
            errors.append(
                FieldError(
                    key=f"{path}.field_key",
                    message=f"a {kind} plugin applies to a {allowed} field, not {target.type}",
                    value=field_key,
                )
            )
            continue
        if key in fields or key in seen:
            other = "a field" if key in fields else f"$.plugins[{seen[key]}]"
            errors.append(
                FieldError(
                    key=f"{path}.key",
                    message=f"is already the key of {other}",
                    value=key,
                    code="duplicate",
                )
            )
            continue
        seen[key] = index
        ext = item.get("ext")
        specs.append(
            PluginSpec(
                key=key, type=kind, field_key=field_key, ext=None if ext is None else dict(ext)
            )
        )
    return tuple(specs)


def _parse_fieldsets(
    items: Sequence[Any], fields: Mapping[str, FieldSpec], errors: list[FieldError]
) -> tuple[FieldsetSpec, ...]:
    specs: list[FieldsetSpec] = []
    keys: dict[str, int] = {}
    placed: dict[str, int] = {}
    for index, item in enumerate(items):
        path = f"$.fieldsets[{index}]"
        problems = _shape_errors("fieldset", item, path)
        if problems:
            errors.extend(problems)
            continue
        key = item.get("key")
        if key is not None:
            if key in keys:
                errors.append(
                    FieldError(
                        key=f"{path}.key",
                        message=f"is already the key of $.fieldsets[{keys[key]}]",
                        value=key,
                        code="duplicate",
                    )
                )
            keys.setdefault(key, index)
        for position, field_key in enumerate(item["field_keys"]):
            where = f"{path}.field_keys[{position}]"
            if field_key not in fields:
                errors.append(
                    FieldError(key=where, message="is not a field of this schema", value=field_key)
                )
            elif field_key in placed:
                errors.append(
                    FieldError(
                        key=where,
                        message=f"is already in $.fieldsets[{placed[field_key]}]",
                        value=field_key,
                        code="duplicate",
                    )
                )
            else:
                placed[field_key] = index
        specs.append(
            FieldsetSpec(field_keys=tuple(item["field_keys"]), key=key, label=item.get("label"))
        )
    return tuple(specs)


def _shape_errors(shape: str, instance: Any, root: str) -> list[FieldError]:
    return _one_per_key(_translate_all(_shape_validator(shape), instance, root))


# --- compilation ---------------------------------------------------------------------------

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
        _collect_paths(spec, f"$.ext{_step(spec.key)}", references)
        guards.extend(_field_guards(spec))
    for plugin in definition.plugins:
        target = by_key[plugin.field_key]
        plugin_schema = _plugin_schema(plugin)
        if plugin_schema is None:
            continue
        properties[plugin.key] = _nullable(plugin_schema)
        guards.extend(_plugin_guards(plugin, target))
        if plugin.type in {"links", "tracking_tags"}:
            references["tracking_tag"].append(f"$.ext{_step(plugin.key)}[*].tracking_tag_ids[*]")
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
    if kind in _REFERENCE_FIELD_KINDS:
        schema = _id_list(_REFERENCE_FIELD_KINDS[kind], ext.get("limit"), nested=kind == "asset")
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
        "pattern": _ID_PATTERNS[kind],
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
            "pattern": _ID_PATTERNS["tracking_tag"],
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
                    "pattern": _ID_PATTERNS["link"],
                    "x-message": "must be a link id such as link:1",
                },
                "tracking_tag_ids": tags,
            },
            "additionalProperties": False,
        }
        return {"type": "array", "items": item}
    return None


def _collect_paths(spec: FieldSpec, path: str, references: dict[str, list[str]]) -> None:
    kind = _REFERENCE_FIELD_KINDS.get(spec.type)
    if kind is not None:
        references[kind].append(f"{path}[*]")
        if spec.type == "asset":
            references[kind].append(f"{path}[*][*]")
    for sub in spec.fields:
        _collect_paths(sub, f"{path}[*]{_step(sub.key)}", references)


def _field_guards(spec: FieldSpec) -> list[_Guard]:
    if spec.type != "date-range":
        return []

    def ordered(values: Mapping[str, Any], root: str) -> Iterator[FieldError]:
        value = values.get(spec.key)
        if isinstance(value, dict) and value.get("from", "") > value.get("to", ""):
            yield FieldError(
                key=f"{root}{_step(spec.key)}.to",
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
                        key=f"{root}{_step(plugin.key)}[{index}]",
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
                        key=f"{root}{_step(plugin.key)}[{index}].link_id",
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


# --- values --------------------------------------------------------------------------------


def validate_values(
    compiled: CompiledSchema, values: object, *, root: str = "$.ext"
) -> list[FieldError]:
    """Every problem with ``values`` (an object's ``ext``), keyed ``$.ext.<field>[...]``.

    An empty list means valid. ``values`` is never modified. Too deep or too large input is
    answered with one error and not validated further.
    """
    if not isinstance(values, dict):
        return [FieldError(key=root, message="must be an object")]
    limit = _limit_error(values, root)
    if limit is not None:
        return [limit]
    errors = _translate_all(compiled.validator, values, root)
    broken = {error.key for error in errors if error.key}
    for guard in compiled.guards:
        prefixes = [f"{root}{_step(key)}" for key in guard.field_keys]
        if any(_under(path, prefix) for path in broken for prefix in prefixes):
            continue
        errors.extend(guard.check(values, root))
    return sorted(_one_per_key(errors), key=_path_order)[:MAX_ERRORS]


def _path_order(error: FieldError) -> list[tuple[int, str]]:
    """Sort paths naturally: ``[2]`` before ``[10]``, a parent before its children."""
    return [
        (int(part), "") if part.isdigit() else (-1, part)
        for part in re.split(r"[.\[\]]+", error.key or "")
        if part
    ]


def _one_per_key(errors: Iterable[FieldError]) -> list[FieldError]:
    """The most telling error at each path ("is required" over "must be an email")."""
    chosen: dict[str, FieldError] = {}
    for error in errors:
        key = error.key or ""
        if key not in chosen or (error.code == "required" and chosen[key].code != "required"):
            chosen[key] = error
    return list(chosen.values())


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith((f"{prefix}.", f"{prefix}["))


def _limit_error(values: dict[str, Any], root: str) -> FieldError | None:
    """Walk ``values`` once, iteratively, and stop at the first limit crossed."""
    nodes = 0
    chars = 0
    stack: list[tuple[Any, str, int]] = [(values, root, 0)]
    while stack:
        value, path, depth = stack.pop()
        nodes += 1
        if nodes > MAX_VALUE_NODES:
            return FieldError(
                key=root,
                message=f"holds more than {MAX_VALUE_NODES} values",
                code="too_large",
            )
        if isinstance(value, dict | list):
            if depth >= MAX_VALUE_DEPTH:
                return FieldError(
                    key=path,
                    message=f"nests deeper than {MAX_VALUE_DEPTH} levels",
                    code="too_deep",
                )
            if isinstance(value, dict):
                for key, item in value.items():
                    chars += len(key) if isinstance(key, str) else 0
                    stack.append((item, f"{path}{_step(str(key))}", depth + 1))
            else:
                for index, item in enumerate(value):
                    stack.append((item, f"{path}[{index}]", depth + 1))
        elif isinstance(value, str):
            chars += len(value)
        elif isinstance(value, float) and not math.isfinite(value):
            return FieldError(key=path, message="must be a finite number")
        if chars > MAX_VALUE_CHARS:
            return FieldError(
                key=root,
                message=f"holds more than {MAX_VALUE_CHARS} characters of text",
                code="too_large",
            )
    return None


# --- references ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reference:
    """An id a value points at, and where (so a missing one is reported at its path)."""

    kind: str
    id: str
    path: str


def collect_references(
    compiled: CompiledSchema, values: Mapping[str, Any], *, root: str = "$.ext"
) -> list[Reference]:
    """The references held by valid ``values``, in field order."""
    found: list[Reference] = []
    for spec in compiled.definition.fields:
        _field_references(spec, values.get(spec.key), f"{root}{_step(spec.key)}", found)
    for plugin in compiled.definition.plugins:
        if plugin.type not in {"links", "tracking_tags"}:
            continue
        entries = values.get(plugin.key)
        for index, entry in enumerate(entries if isinstance(entries, list) else []):
            for position, tag in enumerate(entry.get("tracking_tag_ids") or []):
                path = f"{root}{_step(plugin.key)}[{index}].tracking_tag_ids[{position}]"
                found.append(Reference("tracking_tag", tag, path))
    return found


def _field_references(spec: FieldSpec, value: Any, path: str, found: list[Reference]) -> None:
    if not isinstance(value, list):
        return
    kind = _REFERENCE_FIELD_KINDS.get(spec.type)
    for index, item in enumerate(value):
        where = f"{path}[{index}]"
        if kind is not None and isinstance(item, str):
            found.append(Reference(kind, item, where))
        elif kind is not None and isinstance(item, list):
            found.extend(
                Reference(kind, inner, f"{where}[{position}]")
                for position, inner in enumerate(item)
                if isinstance(inner, str)
            )
        elif spec.fields and isinstance(item, dict):
            for sub in spec.fields:
                _field_references(sub, item.get(sub.key), f"{where}{_step(sub.key)}", found)


def references_by_kind(references: Iterable[Reference]) -> dict[str, set[str]]:
    """The distinct ids of each kind: one existence query per kind."""
    grouped: dict[str, set[str]] = {}
    for reference in references:
        grouped.setdefault(reference.kind, set()).add(reference.id)
    return grouped


def missing_reference_errors(
    references: Iterable[Reference], existing: Mapping[str, Collection[str]]
) -> list[FieldError]:
    """An error at the path of every reference whose id is not among ``existing[kind]``
    (kinds absent from ``existing`` are not checked)."""
    return [
        FieldError(
            key=reference.path,
            message=f"{reference.kind} {reference.id} does not exist",
            value=reference.id,
            code="not_found",
        )
        for reference in references
        if reference.kind in existing and reference.id not in existing[reference.kind]
    ]


# --- error translation ---------------------------------------------------------------------


def _step(key: str) -> str:
    """One JSONPath step: ``.key`` for plain keys, ``["odd key"]`` otherwise."""
    return f".{key}" if _IDENTIFIER.match(key) else f"[{json.dumps(key)}]"


def _path(root: str, parts: Iterable[str | int]) -> str:
    return root + "".join(f"[{part}]" if isinstance(part, int) else _step(part) for part in parts)


def _translate_all(validator: Any, instance: Any, root: str) -> list[FieldError]:
    errors: list[FieldError] = []
    for error in validator.iter_errors(instance):
        errors.extend(_translate(error, root))
        if len(errors) >= MAX_ERRORS:
            break
    return errors


def _shown(value: Any) -> Any:
    """The offending value, when it is short enough to echo back."""
    if isinstance(value, bool | int | float):
        return value
    if isinstance(value, str) and len(value) <= 200:
        return value
    return None


_TYPE_WORDS = {
    "string": "a string",
    "number": "a number",
    "integer": "an integer",
    "boolean": "a boolean",
    "array": "an array",
    "object": "an object",
    "null": "null",
}


def _translate(error: ValidationError, root: str) -> list[FieldError]:
    path = _path(root, error.absolute_path)
    keyword = error.validator
    schema = error.schema if isinstance(error.schema, dict) else {}
    value = error.instance
    if keyword == "required":
        present = value if isinstance(value, dict) else {}
        return [
            FieldError(key=f"{path}{_step(name)}", message="is required", code="required")
            for name in cast("list[str]", error.validator_value)
            if name not in present
        ]
    if keyword == "additionalProperties":
        known = schema.get("properties", {})
        where = "a field of this schema" if path == root else "allowed here"
        return [
            FieldError(key=f"{path}{_step(str(name))}", message=f"is not {where}", code="unknown")
            for name in (value if isinstance(value, dict) else {})
            if name not in known
        ]
    message = schema.get("x-message") if keyword == "pattern" else None
    if message is None:
        message = _message(str(keyword), error.validator_value, error.message)
    code = "required" if keyword in {"minLength", "minItems"} else "invalid"
    return [FieldError(key=path, message=message, value=_shown(value), code=code)]


def _message(keyword: str, expected: Any, fallback: str) -> str:
    if keyword == "type":
        kinds = expected if isinstance(expected, list) else [expected]
        words = [_TYPE_WORDS.get(str(kind), str(kind)) for kind in kinds if kind != "null"]
        return f"must be {' or '.join(words) or 'null'}"
    if keyword == "enum":
        options = [json.dumps(option) for option in expected if option is not None]
        listed = ", ".join(options[:10]) + (", ..." if len(options) > 10 else "")
        return f"must be one of {listed}"
    if keyword == "format":
        return f"must be {_FORMAT_WORDS.get(expected, expected)}"
    if keyword == "pattern":
        return f"must match {expected}"
    if keyword == "maxLength":
        return f"must be at most {expected} characters long"
    if keyword == "minLength":
        return "must not be empty" if expected == 1 else f"must be at least {expected} long"
    if keyword == "maxItems":
        return f"must hold at most {expected} items"
    if keyword == "minItems":
        return "must not be empty" if expected == 1 else f"must hold at least {expected} items"
    if keyword == "uniqueItems":
        return "must not repeat a value"
    if keyword == "minimum":
        return f"must be at least {expected}"
    if keyword == "maximum":
        return f"must be at most {expected}"
    return fallback
