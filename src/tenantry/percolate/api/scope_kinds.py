"""The kinds of scopes, remembered across requests for putting scope ids on the wire.

Every v5 object names its scope as ``<kind>:<id>`` (``brand:12``), so presenting a page of
objects needs their scopes' kinds: one more query per request. A scope's kind is fixed when
the scope is made and ids are never reused, so what was read once stays true for as long as
the scope exists, and an object whose scope is gone is gone with it (the foreign keys
cascade). The memo is keyed by tenant as well, so no entry answers for another tenant.

Only presentation reads it. Whether a scope a client names *exists* (a body's ``scope_id``,
a filter) is read fresh in the request (:meth:`V5Context.known_scopes`): a scope deleted
meanwhile must not be found.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["ScopeKinds"]

CAPACITY = 20_000
"""Entries kept (a few MB); past it the oldest are forgotten first."""


class ScopeKinds:
    def __init__(self, capacity: int = CAPACITY) -> None:
        self.capacity = capacity
        self._kinds: dict[tuple[int, int], str] = {}

    def known(self, tenant_id: int, scope_ids: Iterable[int]) -> dict[int, str]:
        """The remembered kinds among ``scope_ids``."""
        found: dict[int, str] = {}
        for scope_id in scope_ids:
            kind = self._kinds.get((tenant_id, scope_id))
            if kind is not None:
                found[scope_id] = kind
        return found

    def remember(self, tenant_id: int, kinds: dict[int, str]) -> None:
        for scope_id, kind in kinds.items():
            if len(self._kinds) >= self.capacity:
                del self._kinds[next(iter(self._kinds))]
            self._kinds[(tenant_id, scope_id)] = kind
