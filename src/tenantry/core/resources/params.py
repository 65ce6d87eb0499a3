"""A typed query parameter: how its raw text parses and how OpenAPI describes it, together.

Declaring both in one object keeps the spec and the parser from drifting apart. A face adds
its dialect on top: how values are split (Percolate's CSV), how errors read, what is echoed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["QueryParam"]


@dataclass(frozen=True)
class QueryParam:
    """One query parameter: ``parse`` turns its raw text into a value (or raises)."""

    name: str
    schema: dict[str, Any]
    parse: Callable[[str], Any]
    description: str = ""
    default: Any = None

    def openapi(self) -> dict[str, Any]:
        """The OpenAPI parameter object (optional, in the query string)."""
        described = {"description": self.description} if self.description else {}
        return {
            "name": self.name,
            "in": "query",
            "required": False,
            **described,
            "schema": self.schema,
        }
