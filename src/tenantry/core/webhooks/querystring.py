"""A JSON payload as query parameters, for receivers that take deliveries by ``GET``.

PHP's ``http_build_query`` is what Laravel senders use (Guzzle's ``query`` option), so a
receiver written for them reads ``data[name]=…&data[roles][0]=…`` back into the same
nested array. Booleans become ``1``/``0`` and ``null`` is left out, as PHP does.
"""

from __future__ import annotations

from typing import Any

__all__ = ["query_pairs"]


def query_pairs(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    """``value`` flattened into ``(name, text)`` pairs with bracketed names."""
    if isinstance(value, dict):
        items: list[tuple[str, Any]] = [(str(k), v) for k, v in value.items()]
    elif isinstance(value, list):
        items = [(str(i), v) for i, v in enumerate(value)]
    else:
        return [] if value is None or not prefix else [(prefix, _scalar(value))]
    pairs: list[tuple[str, str]] = []
    for key, item in items:
        pairs.extend(query_pairs(item, f"{prefix}[{key}]" if prefix else key))
    return pairs


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)
