"""Query parameters, declared once: each parses its raw values, describes itself in OpenAPI
and says how it is echoed in ``meta.query``.

A parameter sent twice is read as one CSV (``?ids=a&ids=b`` = ``?ids=a,b``); parameters no
declaration names are ignored (Percolate's own SDK sends a ``page`` it never documented).
A :class:`ParamFamily` declares a name prefix instead (``metadata.<schema>.<path>``): the
names themselves carry data, so every key with that prefix is the family's to parse.
A bad value is a 400 ``input:invalid_value`` whose ``key`` is ``$.<parameter>``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from tenantry.core.resources.params import QueryParam
from tenantry.percolate.api.ids import SCOPE_PATTERN, IdKind, ScopeRef, invalid, parse_scope

__all__ = [
    "MAX_LIMIT",
    "MAX_OFFSET",
    "MAX_TEXT",
    "Param",
    "ParamFamily",
    "bool_param",
    "choice_param",
    "csv_param",
    "family_param",
    "ids_param",
    "int_param",
    "parse_moment",
    "range_params",
    "scope_ids_param",
    "text_param",
]

MAX_LIMIT = 1000
"""``limit`` above this is clamped (reference §2.4), not refused."""
MAX_OFFSET = 2**31 - 1
"""``offset`` above this is refused: no result set is that deep, and databases overflow later."""
MAX_CSV_ITEMS = 1000
MAX_TEXT = 200
_TRUE = {"true", "1"}
_FALSE = {"false", "0"}


@dataclass(frozen=True)
class Param(QueryParam):
    """A v5 query parameter: parsed from the raw CSV text, echoed in ``meta.query``."""

    echo_default: bool = False
    """Echo the default in ``meta.query`` even when the parameter was not sent."""
    echo: Callable[[Any], Any] = field(default=lambda value: value)

    def openapi(self) -> dict[str, Any]:
        """Always with its description (empty or not), as the v5 spec has always shown it."""
        shown = super().openapi()
        schema = shown.pop("schema")
        return {**shown, "description": self.description, "schema": schema}


@dataclass(frozen=True)
class ParamFamily(Param):
    """Parameters whose names are data (``metadata.<schema>.<path>``): every query key that
    starts with ``prefix`` is parsed by ``parse_each(key, raw)``; the family's value is a
    dict by key, and each key is echoed in ``meta.query`` under its own name."""

    prefix: str = ""
    parse_each: Callable[[str, str], Any] = field(default=lambda key, raw: raw)
    max_keys: int = 20

    def parse_family(self, query: dict[str, list[str]]) -> dict[str, Any] | None:
        keys = sorted(key for key in query if key.startswith(self.prefix))
        if not keys:
            return None
        if len(keys) > self.max_keys:
            raise invalid(keys[self.max_keys], f"At most {self.max_keys} {self.name} filters.")
        return {key: self.parse_each(key, ",".join(query[key])) for key in keys}

    def openapi(self) -> dict[str, Any]:
        """One exploded free-form object: each property is a query parameter of its own."""
        return {
            "name": self.name,
            "in": "query",
            "required": False,
            "description": self.description,
            "style": "form",
            "explode": True,
            "schema": {
                "type": "object",
                "propertyNames": {"pattern": f"^{re.escape(self.prefix)}"},
                "additionalProperties": self.schema,
            },
        }


def family_param(
    name: str,
    prefix: str,
    description: str,
    parse_each: Callable[[str, str], Any],
    *,
    schema: dict[str, Any] | None = None,
    echo: Callable[[Any], Any] = lambda value: value,
) -> ParamFamily:
    """A :class:`ParamFamily` (``name`` is how the spec and ``values`` call the family)."""

    def refuse(_raw: str) -> Any:  # a family is read by key, never as one parameter
        raise invalid(name, f"{name} is a family of parameters.")

    return ParamFamily(
        name,
        schema or {"type": "string"},
        refuse,
        description,
        echo=echo,
        prefix=prefix,
        parse_each=parse_each,
    )


def _items(name: str, raw: str) -> list[str]:
    items = [item.strip() for item in raw.split(",")]
    items = [item for item in items if item]
    if len(items) > MAX_CSV_ITEMS:
        raise invalid(name, f"At most {MAX_CSV_ITEMS} values.", raw[:200])
    return items


def csv_param(
    name: str,
    description: str,
    *,
    pattern: str | None = None,
    enum: Sequence[str] | None = None,
    max_length: int = MAX_TEXT,
) -> Param:
    """A CSV of strings, each matching ``pattern`` (the seed's per-item pattern) or in ``enum``."""
    compiled = re.compile(pattern) if pattern else None

    def parse(raw: str) -> list[str]:
        values = _items(name, raw)
        for value in values:
            if len(value) > max_length or (compiled is not None and not compiled.search(value)):
                raise invalid(name, f"Invalid value for {name}.", value)
            if enum is not None and value not in enum:
                raise invalid(name, f"{name} accepts: {', '.join(enum)}.", value)
        return values

    schema: dict[str, Any] = {"type": "string"}
    if enum is not None:
        schema["pattern"] = (
            "^("
            + "|".join(re.escape(v) for v in enum)
            + ")(,("
            + "|".join(re.escape(v) for v in enum)
            + "))*$"
        )
        description += f" Allowed values: {', '.join(enum)}."
    elif pattern:
        description += f" Each value matches `{pattern}`."
    return Param(name, schema, parse, description)


def ids_param(
    name: str, kind: IdKind, description: str = "A CSV of unique IDs to filter by."
) -> Param:
    """A CSV of typed ids of ``kind`` (seed pattern per item) parsed to integer keys."""

    def parse(raw: str) -> list[int]:
        return [kind.parse(value, name, pattern=True) for value in _items(name, raw)]

    return Param(
        name,
        {"type": "string", "example": f"{kind.prefix}:1,{kind.prefix}:2"},
        parse,
        f"{description} Each value matches `{kind.list_pattern}`.",
        echo=lambda keys: [kind.encode(key) for key in keys],
    )


def scope_ids_param(description: str = "A CSV of license IDs to filter by.") -> Param:
    def parse(raw: str) -> list[ScopeRef]:
        return [parse_scope(value, "scope_ids") for value in _items("scope_ids", raw)]

    def echo(refs: list[ScopeRef]) -> list[str]:
        return [
            "builtin_scope:system" if ref.is_system else f"{ref.kind}:{ref.key}" for ref in refs
        ]

    return Param(
        "scope_ids",
        {"type": "string", "example": "license:1,builtin_scope:system"},
        parse,
        f"{description} Each value matches `{SCOPE_PATTERN}`.",
        echo=echo,
    )


def bool_param(name: str, description: str, default: bool | None = None) -> Param:
    def parse(raw: str) -> bool:
        value = raw.strip().lower()
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        raise invalid(name, f"{name} is true or false.", raw)

    schema: dict[str, Any] = {"type": "string", "enum": ["true", "false"]}
    if default is not None:
        schema["default"] = "true" if default else "false"
    return Param(name, schema, parse, description, default, echo_default=default is not None)


def int_param(
    name: str,
    description: str,
    *,
    default: int | None = None,
    minimum: int = 0,
    maximum: int = MAX_OFFSET,
    clamp: bool = False,
) -> Param:
    """An integer in ``[minimum, maximum]``; above ``maximum`` it is clamped when ``clamp``."""

    def parse(raw: str) -> int:
        text = raw.strip()
        digits = text[1:] if text[:1] in "+-" else text
        if not digits.isascii() or not digits.isdigit() or len(digits) > 30:
            raise invalid(name, f"{name} is an integer.", raw)
        value = int(text)
        if value < minimum:
            raise invalid(name, f"{name} is at least {minimum}.", value)
        if value > maximum:
            if clamp:
                return maximum
            raise invalid(name, f"{name} is at most {maximum}.", value)
        return value

    schema: dict[str, Any] = {"type": "integer", "minimum": minimum}
    if not clamp:
        schema["maximum"] = maximum
    if default is not None:
        schema["default"] = default
    return Param(name, schema, parse, description, default, echo_default=default is not None)


def choice_param(
    name: str, description: str, choices: Sequence[str], *, default: str | None = None
) -> Param:
    def parse(raw: str) -> str:
        value = raw.strip()
        if value not in choices:
            raise invalid(name, f"{name} accepts: {', '.join(choices)}.", raw)
        return value

    schema: dict[str, Any] = {"type": "string", "enum": list(choices)}
    if default is not None:
        schema["default"] = default
    return Param(name, schema, parse, description, default, echo_default=default is not None)


def text_param(name: str, description: str, *, max_length: int = MAX_TEXT) -> Param:
    def parse(raw: str) -> str:
        value = raw.strip()
        if len(value) > max_length:
            raise invalid(name, f"{name} is at most {max_length} characters.", raw[:max_length])
        return value

    return Param(name, {"type": "string", "maxLength": max_length}, parse, description)


def parse_moment(name: str, raw: str) -> datetime:
    """A date (midnight UTC) or an ISO 8601 date-time (UTC when it has no offset)."""
    text = raw.strip()
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(), UTC)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "+"))
        # An offset can carry a moment past year 1 or 9999 once in UTC (OverflowError).
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise invalid(
            name, f"{name} is a date (2016-01-31) or an ISO 8601 date-time.", raw
        ) from None


def range_params(field_name: str) -> tuple[Param, Param]:
    """``{field}:from`` (inclusive) and ``{field}:to`` (exclusive)."""
    start, end = f"{field_name}:from", f"{field_name}:to"
    schema = {"type": "string", "format": "date-time", "example": "2016-01-31T00:00:00+00:00"}

    def echo(moment: datetime) -> str:
        return moment.isoformat()

    return (
        Param(
            start,
            schema,
            lambda raw: parse_moment(start, raw),
            f"{field_name} from (inclusive).",
            echo=echo,
        ),
        Param(
            end,
            schema,
            lambda raw: parse_moment(end, raw),
            f"{field_name} until (exclusive).",
            echo=echo,
        ),
    )


def parse_params(params: Sequence[Param], query: dict[str, list[str]]) -> dict[str, Any]:
    """Values of the declared ``params`` found in ``query`` (defaults filled in)."""
    values: dict[str, Any] = {}
    for param in params:
        if isinstance(param, ParamFamily):
            found = param.parse_family(query)
            if found is not None:
                values[param.name] = found
            continue
        raw = query.get(param.name)
        if raw is None or not any(part.strip() for part in raw):
            if param.default is not None:
                values[param.name] = param.default
            continue
        values[param.name] = param.parse(",".join(raw))
    return values


def echo_query(
    params: Sequence[Param], query: dict[str, list[str]], values: dict[str, Any]
) -> dict[str, Any]:
    """``meta.query``: what was sent (normalised) plus the defaults that applied."""
    echoed: dict[str, Any] = {}
    for param in params:
        if param.name not in values:
            continue
        if isinstance(param, ParamFamily):
            echoed.update((key, param.echo(value)) for key, value in values[param.name].items())
        elif param.name in query or param.echo_default:
            echoed[param.name] = param.echo(values[param.name])
    return echoed
