"""The engine's own rules, checked on every declaration (a new resource is covered too)."""

from __future__ import annotations

import pytest
from tests.perscom.factories import REGISTRY

from tenantry.perscom.engine.declaration import BelongsTo, BelongsToMany
from tenantry.perscom.engine.query import coerce, condition_for
from tenantry.perscom.engine.runtime import Compiled, Whitelist

pytestmark = pytest.mark.anyio

RESOURCES = sorted(REGISTRY.resources.values(), key=lambda r: r.name)


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda r: r.name)
async def test_declared_paths_resolve(resource: Compiled) -> None:
    for path in resource.search_fields:
        assert resource.resolve(path) is not None, path
    for include in resource.include_list.exact:
        current, above = resource, None
        for part in include.split("."):
            if part not in current.relations and above is not None:
                # The last part may name the pivot of the many-to-many above it.
                assert isinstance(above.spec, BelongsToMany), include
                assert above.spec.pivot_include == part, include
                break
            above = current.relations[part]
            current = above.target or current
    for name in resource.decl.nested:
        assert name in resource.relations
    for field in resource.decl.rules:
        assert field in resource.decl.writable


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda r: r.name)
async def test_required_fields_are_required_on_create_only(resource: Compiled) -> None:
    required = {
        n for n, r in resource.decl.rules.items() if r.required and n not in resource.decl.files
    }
    schema = resource.create_model.model_json_schema()
    assert set(schema.get("required", [])) == required
    assert not resource.update_model.model_json_schema().get("required")


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda r: r.name)
async def test_foreign_keys_point_at_declared_resources(resource: Compiled) -> None:
    for relation in resource.relations.values():
        if isinstance(relation.spec, BelongsTo):
            assert relation.spec.key in resource.columns
            assert relation.target is not None


async def test_every_resource_has_a_distinct_morph_type_and_permission() -> None:
    morphs = [r.decl.morph_type for r in RESOURCES]
    permissions = [r.decl.permission for r in RESOURCES if r.decl.routed]
    assert len(set(morphs)) == len(morphs)
    assert len(set(permissions)) == len(permissions)


async def test_whitelist_wildcards_allow_paths_below_only() -> None:
    whitelist = Whitelist.of(["name", "rank.*"])
    assert whitelist.allows("name")
    assert whitelist.allows("rank.name")
    assert whitelist.allows("rank.image.name")
    assert not whitelist.allows("rank")
    assert not whitelist.allows("ranks.name")
    assert not whitelist.allows("xrank.name")


@pytest.mark.parametrize(
    ("value", "kind", "expected"),
    [("5", "int", 5), (5.0, "int", 5), ("true", "bool", True), (0, "bool", False), (7, "str", "7")],
)
async def test_filter_values_are_coerced_to_the_column(
    value: object, kind: str, expected: object
) -> None:
    assert coerce(value, kind) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "kind"),
    [("five", "int"), (10**20, "int"), ("maybe", "bool"), ({"a": 1}, "str"), ("soon", "datetime")],
)
async def test_uncoercible_filter_values_are_refused(value: object, kind: str) -> None:
    with pytest.raises(ValueError):
        coerce(value, kind)  # type: ignore[arg-type]


async def test_like_needs_a_scalar() -> None:
    users = REGISTRY.get("users")
    with pytest.raises(ValueError):
        condition_for(users.columns["name"], "str", "like", {"a": 1})
