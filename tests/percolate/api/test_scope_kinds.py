"""The process's memory of scope kinds: per tenant, bounded, the oldest forgotten first."""

from __future__ import annotations

from tenantry.percolate.api.scope_kinds import ScopeKinds


def test_kinds_are_remembered_per_tenant() -> None:
    kinds = ScopeKinds()
    kinds.remember(1, {10: "brand", 11: "license"})
    assert kinds.known(1, [10, 11, 12]) == {10: "brand", 11: "license"}
    assert kinds.known(2, [10, 11]) == {}  # the same ids in another tenant are unknown


def test_past_the_capacity_the_oldest_are_forgotten() -> None:
    kinds = ScopeKinds(capacity=3)
    kinds.remember(1, {1: "brand", 2: "brand", 3: "license"})
    kinds.remember(2, {4: "license_group"})
    assert kinds.known(1, [1, 2, 3]) == {2: "brand", 3: "license"}
    assert kinds.known(2, [4]) == {4: "license_group"}
