"""Percolate's typed ids: ``{type}:{key}`` strings such as ``user:12`` or ``account:3``.

The core keys rows by integers; this face adds and strips the type word at its edge, so a
``client:4`` sent where a ``user:`` is expected is refused rather than silently read as 4.
"""

from __future__ import annotations

from typing import Final

USER: Final = "user"
CLIENT: Final = "client"
TOKEN: Final = "token"
GRANT: Final = "grant"
ACCOUNT: Final = "account"
"""A tenant, seen as the Percolate account that owns brands, licenses and OAuth clients."""

MAX_KEY_DIGITS = 18  # fits a signed 64-bit integer

__all__ = ["ACCOUNT", "CLIENT", "GRANT", "TOKEN", "USER", "encode", "parse"]


def encode(kind: str, key: int) -> str:
    return f"{kind}:{key}"


def parse(kind: str, value: object, *, bare: bool = False) -> int | None:
    """The integer key of ``value`` when it is a ``kind`` id (or, with ``bare``, just digits)."""
    if not isinstance(value, str):
        return None
    prefix = f"{kind}:"
    if value.startswith(prefix):
        text = value[len(prefix) :]
    elif bare:
        text = value
    else:
        return None
    if not text.isascii() or not text.isdigit() or len(text) > MAX_KEY_DIGITS:
        return None
    return int(text)
