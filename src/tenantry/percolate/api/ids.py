"""Typed ids on the v5 wire: ``user:7``, ``license:3``, ``builtin_scope:system``.

Each kind knows the seed's two patterns (the path parameter's and the ``ids`` filter's) and
turns a wire id into the core's integer key, refusing ids of another kind (``post:1`` where a
``user:`` is expected) with a 400 that names the input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final

from tenantry.core.errors import FieldError, ValidationFailed
from tenantry.percolate.ids import MAX_KEY_DIGITS

__all__ = [
    "ACCOUNT",
    "SCOPE_KINDS",
    "SCOPE_PATTERN",
    "SYSTEM_SCOPE",
    "IdKind",
    "ScopeRef",
    "invalid",
    "parse_scope",
]

SYSTEM_SCOPE: Final = "builtin_scope:system"
ACCOUNT: Final = "account"
SCOPE_KINDS: Final = ("license_group", "license", "brand")
"""Kinds of scope rows a Percolate account holds below itself (data in the core tree)."""
SCOPE_PATTERN: Final = r"^(?:brand|account|license(?:_group)?):\d+$|builtin_scope:system$"
_SCOPE = re.compile(SCOPE_PATTERN)


def invalid(key: str | None, message: str, value: object = None) -> ValidationFailed:
    """A 400 ``input:invalid_value`` naming the input ``key`` (rendered as ``$.key``)."""
    return ValidationFailed(message, [FieldError(key, message, value)])


def _key(text: str) -> int | None:
    if not text.isascii() or not text.isdigit() or len(text) > MAX_KEY_DIGITS:
        return None
    return int(text)


@dataclass(frozen=True)
class IdKind:
    """One kind of typed id: ``prefix:<integer>`` with the seed's path and list patterns."""

    prefix: str
    list_pattern: str = ""
    path_pattern: str = ""
    _list: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "list_pattern", self.list_pattern or rf"^{self.prefix}:\d+$")
        object.__setattr__(
            self, "path_pattern", self.path_pattern or rf"^{self.prefix}:[a-zA-Z0-9_-]+$"
        )
        object.__setattr__(self, "_list", re.compile(self.list_pattern))

    def encode(self, key: int | None) -> str | None:
        return None if key is None else f"{self.prefix}:{key}"

    def parse(self, value: object, key: str, *, pattern: bool = False) -> int:
        """The integer key of ``value``; 400 naming ``key`` when it is not a ``prefix:`` id
        of ours (with ``pattern``, the seed's list pattern must match as well)."""
        if isinstance(value, str):
            head, sep, tail = value.partition(":")
            number = _key(tail) if sep and head == self.prefix else None
            if number is not None and (not pattern or self._list.match(value)):
                return number
        raise invalid(key, f"Expected a {self.prefix} id such as {self.prefix}:12.", value)


@dataclass(frozen=True)
class ScopeRef:
    """A parsed scope id: the account (``kind`` ``account``), the system scope, or a scope row."""

    kind: str
    key: int | None

    @property
    def is_system(self) -> bool:
        return self.kind == "builtin_scope"


def parse_scope(value: object, key: str) -> ScopeRef:
    """A ``brand|account|license|license_group:<n>`` or ``builtin_scope:system`` id."""
    if isinstance(value, str) and _SCOPE.match(value):
        if value == SYSTEM_SCOPE:
            return ScopeRef("builtin_scope", None)
        head, _, tail = value.partition(":")
        number = _key(tail)
        if number is not None:
            return ScopeRef(head, number)
    raise invalid(key, "Expected a scope id such as license:12 or builtin_scope:system.", value)
