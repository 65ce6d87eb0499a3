"""Validating an object's ``ext`` (its metadata values) against a compiled schema.

:func:`validate_values` answers with :class:`FieldError` s keyed ``$.ext.<field>[...]``, one
per path, in document order. Values are walked once before validation to refuse what is too
deep or too large, so neither the validator's recursion nor a 10 MB document reaches
further than that walk.
"""

from __future__ import annotations

import math
import re
from typing import Any, Final

from tenantry.core.errors import FieldError
from tenantry.percolate.schema.compile import CompiledSchema
from tenantry.percolate.schema.definition import MAX_VALUE_CHARS
from tenantry.percolate.schema.dialect import MAX_ERRORS, one_per_key, step, translate_all

__all__ = ["MAX_VALUE_CHARS", "MAX_VALUE_DEPTH", "MAX_VALUE_NODES", "validate_values"]

MAX_VALUE_DEPTH: Final = 16
"""Containers below ``ext`` (an object-array item's object is at depth 2)."""
MAX_VALUE_NODES: Final = 20_000


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
    errors = translate_all(compiled.validator, values, root)
    broken = {error.key for error in errors if error.key}
    for guard in compiled.guards:
        prefixes = [f"{root}{step(key)}" for key in guard.field_keys]
        if any(_under(path, prefix) for path in broken for prefix in prefixes):
            continue
        errors.extend(guard.check(values, root))
    return sorted(one_per_key(errors), key=_path_order)[:MAX_ERRORS]


def _path_order(error: FieldError) -> list[tuple[int, str]]:
    """Sort paths naturally: ``[2]`` before ``[10]``, a parent before its children."""
    return [
        (int(part), "") if part.isdigit() else (-1, part)
        for part in re.split(r"[.\[\]]+", error.key or "")
        if part
    ]


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
                    stack.append((item, f"{path}{step(str(key))}", depth + 1))
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
