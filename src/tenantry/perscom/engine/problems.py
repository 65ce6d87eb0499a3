"""Validation problems in Laravel's words, collected and raised as one core error."""

from __future__ import annotations

from typing import Any, NoReturn

from pydantic import ValidationError

from tenantry.core.errors import FieldError, ValidationFailed


def attribute(key: str) -> str:
    """Laravel's display name of an input key: ``rank_id`` -> ``rank id``."""
    return key.replace("_", " ")


class Problems:
    """Collects field errors so one response reports every bad input at once."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def add(self, key: str, message: str, value: Any = None) -> None:
        self.errors.append(FieldError(key, message, value))

    def __bool__(self) -> bool:
        return bool(self.errors)

    def raise_if_any(self) -> None:
        if self.errors:
            raise failure(self.errors)


def failure(errors: list[FieldError]) -> ValidationFailed:
    """Laravel's summary message: the first error, plus how many more there are."""
    first = errors[0].message
    more = len(errors) - 1
    if more:
        first += f" (and {more} more error{'s' if more > 1 else ''})"
    return ValidationFailed(first, errors)


def refuse(key: str, message: str) -> NoReturn:
    raise failure([FieldError(key, message)])


def not_whitelisted(key: str, value: str) -> FieldError:
    return FieldError(key, f"The {value} field is not whitelisted.", value)


_MESSAGES: dict[str, str] = {
    "missing": "The {attr} field is required.",
    "string_type": "The {attr} field must be a string.",
    "string_too_long": "The {attr} field must not be greater than {max_length} characters.",
    "string_pattern_mismatch": "The {attr} field format is invalid.",
    "int_type": "The {attr} field must be an integer.",
    "int_parsing": "The {attr} field must be an integer.",
    "int_from_float": "The {attr} field must be an integer.",
    "greater_than_equal": "The {attr} field must be at least {ge}.",
    "less_than_equal": "The {attr} field must not be greater than {le}.",
    "bool_type": "The {attr} field must be true or false.",
    "bool_parsing": "The {attr} field must be true or false.",
    "float_type": "The {attr} field must be a number.",
    "float_parsing": "The {attr} field must be a number.",
    "datetime_type": "The {attr} field must be a valid date.",
    "datetime_parsing": "The {attr} field must be a valid date.",
    "datetime_from_date_parsing": "The {attr} field must be a valid date.",
    "datetime_object_invalid": "The {attr} field must be a valid date.",
    "literal_error": "The selected {attr} is invalid.",
    "enum": "The selected {attr} is invalid.",
    "list_type": "The {attr} field must be an array.",
    "dict_type": "The {attr} field must be an array.",
    "model_type": "The {attr} field must be an array.",
    "model_attributes_type": "The {attr} field must be an array.",
    "extra_forbidden": "The {attr} field is not allowed.",
    "none_required": "The {attr} field is prohibited.",
    "too_long": "The {attr} field must not have more than {max_length} items.",
}


def from_pydantic(exc: ValidationError, prefix: str = "") -> list[FieldError]:
    """Pydantic's errors as Laravel's: keyed by dotted path, phrased the Laravel way."""
    found: list[FieldError] = []
    for error in exc.errors(include_url=False, include_input=False):
        parts = [str(p) for p in error["loc"] if not _is_union_tag(p)]
        key = prefix + ".".join(parts) if parts else prefix.rstrip(".") or "body"
        context = dict(error.get("ctx") or {})
        template = _MESSAGES.get(error["type"], "The {attr} field is invalid.")
        try:
            message = template.format(attr=attribute(key), **context)
        except (KeyError, IndexError):
            message = f"The {attribute(key)} field is invalid."
        if any(existing.key == key for existing in found):
            continue  # one message per field, as Laravel stops at the first failing rule
        found.append(FieldError(key, message))
    return found


def _is_union_tag(part: Any) -> bool:
    """Pydantic names the union member in the location (``int``, ``str``...); drop it."""
    return isinstance(part, str) and (
        part in {"int", "str", "bool", "float", "none", "datetime", "list", "dict"}
        or part.startswith(("constrained-", "function-", "literal[", "list[", "dict["))
    )
