"""Percolate schema definitions (reference §3.12): the vocabulary and the check of a body.

A schema definition lists ``fields`` (17 types, each with its ``ext`` options and its stored
value shape), ``fieldsets`` that group them and ``plugins`` that store extra data next to a
field (mentions and links in a textarea, a timezone for a date, tracking tags for links).

:func:`parse_definition` checks a definition and reports every problem at its path
(``$.fields[3].key``); what passes is a :class:`SchemaDefinition`, the input of
:mod:`~tenantry.percolate.schema.compile`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Final

from jsonschema import Draft202012Validator

from tenantry.core.errors import FieldError, ValidationFailed
from tenantry.percolate.schema.dialect import FORMATS, one_per_key, translate_all

__all__ = [
    "FIELD_TYPES",
    "ID_PATTERNS",
    "KEY_PATTERN",
    "MAX_VALUE_CHARS",
    "PLUGIN_TYPES",
    "READ_ONLY_PLUGIN_PROPERTIES",
    "REFERENCE_FIELD_KINDS",
    "REFERENCE_KINDS",
    "RESOURCE_TYPES",
    "SCHEMA_TYPES",
    "FieldSpec",
    "FieldsetSpec",
    "PluginSpec",
    "SchemaDefinition",
    "parse_definition",
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

MAX_VALUE_CHARS: Final = 2_000_000
"""Characters of text (keys and strings) in one ``ext``: about 2 MB of UTF-8 prose."""

ID_PATTERNS: Mapping[str, str] = {
    "asset": r"^asset:[0-9]{1,18}$",
    "term": r"^term:[A-Za-z0-9]{1,40}$",
    "link": r"^link:[0-9]{1,18}$",
    "post_attachment": r"^post_attachment:[0-9]{1,18}$",
    "tracking_tag": r"^tracking_tag:[0-9]{1,18}$",
}
"""What an id of each reference kind looks like."""
REFERENCE_FIELD_KINDS: Mapping[str, str] = {
    "asset": "asset",
    "term": "term",
    "link": "link",
    "post_attachment": "post_attachment",
}
"""The field types whose values are ids, and the kind of id each holds."""


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
        ext = None if self.ext is None else dict(self.ext)
        if self.type == "term":
            # The taxonomies a term field draws from; the vendor's WordPress plugin reads
            # it on every term field, so it is always there (empty: any term).
            ext = {**(ext or {}), "parent_term_ids": list((ext or {}).get("parent_term_ids", []))}
        return {
            "key": self.key,
            "label": self.label,
            "description": self.description,
            "required": self.required,
            "type": self.type,
            "ext": ext,
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
    "term": _ext_shape(
        {
            "limit": _LIMIT,
            "parent_term_ids": {
                "type": "array",
                "items": {"type": "string", "pattern": r"^term:[A-Za-z0-9]{1,40}$"},
                "maxItems": 100,
            },
        }
    ),
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
    return one_per_key(translate_all(_shape_validator(shape), instance, root))
