"""The JSON Schema dialect the schema module speaks: format checks and error translation.

Both the check of a schema definition and the validation of an object's ``ext`` run
``jsonschema`` validators with :data:`FORMATS` (our own, asserted formats) and turn their
errors into :class:`FieldError` s keyed by a JSONPath (``$.fields[3].key``,
``$.ext.quotes[0].author``) with a message a client can show.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from functools import cache
from typing import Any, Final, cast
from urllib.parse import urlsplit
from zoneinfo import available_timezones

from email_validator import EmailNotValidError, validate_email
from jsonschema import FormatChecker, ValidationError

from tenantry.core.errors import FieldError

__all__ = ["FORMATS", "MAX_ERRORS", "one_per_key", "step", "translate_all"]

MAX_ERRORS: Final = 100
"""Errors one check reports at most."""

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


# --- error translation ---------------------------------------------------------------------


def one_per_key(errors: Iterable[FieldError]) -> list[FieldError]:
    """The most telling error at each path ("is required" over "must be an email")."""
    chosen: dict[str, FieldError] = {}
    for error in errors:
        key = error.key or ""
        if key not in chosen or (error.code == "required" and chosen[key].code != "required"):
            chosen[key] = error
    return list(chosen.values())


def step(key: str) -> str:
    """One JSONPath step: ``.key`` for plain keys, ``["odd key"]`` otherwise."""
    return f".{key}" if _IDENTIFIER.match(key) else f"[{json.dumps(key)}]"


def _path(root: str, parts: Iterable[str | int]) -> str:
    return root + "".join(f"[{part}]" if isinstance(part, int) else step(part) for part in parts)


def translate_all(validator: Any, instance: Any, root: str) -> list[FieldError]:
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
            FieldError(key=f"{path}{step(name)}", message="is required", code="required")
            for name in cast("list[str]", error.validator_value)
            if name not in present
        ]
    if keyword == "additionalProperties":
        known = schema.get("properties", {})
        where = "a field of this schema" if path == root else "allowed here"
        return [
            FieldError(key=f"{path}{step(str(name))}", message=f"is not {where}", code="unknown")
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
