"""A face's resources by name, owned by the face's runtime (never filled at import).

The face's install lists its declarations and builds the registry from them; relations and
includes resolve their targets here, so a target that was not declared fails at start-up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Generic, TypeVar

__all__ = ["Registry"]

T = TypeVar("T")


class Registry(Generic[T]):
    """Named resources in declaration order; a name declared twice is an error."""

    def __init__(self, items: Iterable[T], name_of: Callable[[T], str]) -> None:
        self.by_name: dict[str, T] = {}
        for item in items:
            name = name_of(item)
            if name in self.by_name:
                raise ValueError(f"resource {name!r} declared twice")
            self.by_name[name] = item

    def get(self, name: str) -> T:
        try:
            return self.by_name[name]
        except KeyError:
            raise ValueError(f"{name!r} is not a declared resource") from None

    def __contains__(self, name: object) -> bool:
        return name in self.by_name

    def __iter__(self) -> Iterator[T]:
        return iter(self.by_name.values())
