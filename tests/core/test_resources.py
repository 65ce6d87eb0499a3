"""The resource floor on a real database: tenant-scoped selects, pages, side-loading keys."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from sqlalchemy import bindparam, select
from tests.helpers import ON_POSTGRES, TenantFactory

from tenantry.core.platform import Platform
from tenantry.core.resources.paging import (
    DEEP_OFFSET,
    PageStatements,
    count_of,
    known_total,
    order_keys,
    page_of,
    paged,
)
from tenantry.core.resources.params import QueryParam
from tenantry.core.resources.registry import Registry
from tenantry.core.resources.scoped import readable
from tenantry.core.resources.sideload import among_keys, keys_to_load
from tenantry.core.resources.sql import StatementTexts, fixed
from tenantry.core.scopes import Scope, create_scope
from tenantry.core.unit import open_unit

pytestmark = pytest.mark.anyio


async def _tenant_with_scopes(
    app: FastAPI, make_tenant: TenantFactory, names: list[str]
) -> tuple[Platform, int, list[int]]:
    platform: Platform = app.state.platform
    tenant_id = await make_tenant()
    async with open_unit(platform, tenant_id, read_only=False) as unit:
        made = [await create_scope(unit.session, kind="brand", name=name) for name in names]
    return platform, tenant_id, [scope.id for scope in made]


async def test_a_readable_select_keeps_to_its_tenant_on_either_runner(
    app: FastAPI, make_tenant: TenantFactory
) -> None:
    platform, mine, _ = await _tenant_with_scopes(app, make_tenant, ["a", "b"])
    _, theirs, _ = await _tenant_with_scopes(app, make_tenant, ["c"])
    texts = StatementTexts(platform.engine.dialect) if ON_POSTGRES else None
    for read_only in (False, True):
        async with open_unit(platform, mine, read_only=read_only, texts=texts) as unit:
            rows = await unit.db.rows(readable([Scope.tenant_id, Scope.name], Scope, mine))
            leak = await unit.db.rows(readable([Scope.name], Scope, theirs))
        assert {tenant for tenant, _ in rows} == {mine}
        assert sorted(name for _, name in rows) == ["a", "b"]
        if ON_POSTGRES:  # asking for another tenant by name: row-level security still says no
            assert list(leak) == []


async def test_pages_break_ties_by_id_and_deep_pages_match_plain_ones(
    app: FastAPI, make_tenant: TenantFactory
) -> None:
    names = ["same"] * 5 + ["other"] * 3
    platform, tenant_id, ids = await _tenant_with_scopes(app, make_tenant, names)
    listed = readable([Scope.id], Scope, tenant_id)
    order = order_keys(Scope.name, Scope.id, descending=True)
    async with open_unit(platform, tenant_id, read_only=True) as unit:
        pages = []
        for offset in range(0, 8, 3):
            deferred = await unit.db.rows(page_of(listed, Scope.id, order, 3, offset))
            plain = await unit.db.rows(listed.order_by(*order).limit(3).offset(offset))
            assert [r[0] for r in deferred] == [r[0] for r in plain]
            pages.extend(r[0] for r in deferred)
        total = await unit.db.scalar(count_of(listed.order_by(*order)))
    same = sorted(ids[:5], reverse=True)
    other = sorted(ids[5:], reverse=True)
    assert pages == same + other
    assert total == 8


def test_a_short_first_page_tells_its_total() -> None:
    assert known_total(0, 10, 4) == 4
    assert known_total(0, 10, 10) is None
    assert known_total(10, 10, 4) is None


async def test_side_loading_fetches_each_key_once(app: FastAPI, make_tenant: TenantFactory) -> None:
    platform, tenant_id, ids = await _tenant_with_scopes(app, make_tenant, ["a", "b", "c"])
    parents = [{"ref": ids[0]}, {"ref": ids[1]}, {"ref": ids[0]}, {"ref": None}]
    keys = keys_to_load(parents, lambda row: (row["ref"],), loaded=[ids[1]])
    assert keys == [ids[0]]
    dialect = "postgresql" if ON_POSTGRES else "sqlite"
    statement = readable([Scope.id], Scope, bindparam("tenant")).where(
        among_keys(Scope.id, dialect)
    )
    async with open_unit(platform, tenant_id, read_only=True) as unit:
        rows = await unit.db.rows(statement, {"tenant": tenant_id, "keys": ids[:2]})
    assert sorted(r[0] for r in rows) == sorted(ids[:2])


def test_a_query_parameter_describes_itself() -> None:
    limit = QueryParam("limit", {"type": "integer", "minimum": 1}, int, "How many.", 15)
    assert limit.parse("7") == 7
    assert limit.openapi() == {
        "name": "limit",
        "in": "query",
        "required": False,
        "description": "How many.",
        "schema": {"type": "integer", "minimum": 1},
    }
    assert "description" not in QueryParam("page", {}, int).openapi()


def test_a_registry_refuses_a_name_twice_and_unknown_names() -> None:
    registry = Registry(["post", "user"], lambda name: name)
    assert registry.get("post") == "post"
    assert "user" in registry
    assert list(registry) == ["post", "user"]
    with pytest.raises(ValueError, match="not a declared resource"):
        registry.get("term")
    with pytest.raises(ValueError, match="declared twice"):
        Registry(["post", "post"], lambda name: name)


async def test_statements_of_one_shape_compile_once() -> None:
    if not ON_POSTGRES:
        pytest.skip("the driver's statement texts are PostgreSQL's")
    from sqlalchemy.dialects.postgresql.asyncpg import dialect

    texts = StatementTexts(dialect())
    first = texts.text_of(select(Scope.id).where(Scope.tenant_id == 1, Scope.id.in_([1, 2])))
    second = texts.text_of(select(Scope.id).where(Scope.tenant_id == 2, Scope.id.in_([3, 4])))
    assert first.sql == second.sql
    assert first.arguments(None) == [1, 1, 2]
    assert second.arguments(None) == [2, 3, 4]


_NAMES_BY_ID = fixed(
    select(Scope.name)
    .where(Scope.tenant_id == bindparam("tenant"), Scope.id.in_(bindparam("ids", expanding=True)))
    .order_by(Scope.name)
)


async def test_a_fixed_statement_runs_with_each_calls_values_on_either_runner(
    app: FastAPI, make_tenant: TenantFactory
) -> None:
    """Built once, its IN list as long as each call needs, its tenant a parameter."""
    platform, mine, ids = await _tenant_with_scopes(app, make_tenant, ["a", "b", "c"])
    _, theirs, their_ids = await _tenant_with_scopes(app, make_tenant, ["d"])
    texts = StatementTexts(platform.engine.dialect) if ON_POSTGRES else None
    for read_only in (False, True):
        async with open_unit(platform, mine, read_only=read_only, texts=texts) as unit:
            one = await unit.db.rows(_NAMES_BY_ID, {"tenant": mine, "ids": ids[:1]})
            three = await unit.db.rows(_NAMES_BY_ID, {"tenant": mine, "ids": ids + their_ids})
            leak = await unit.db.rows(_NAMES_BY_ID, {"tenant": theirs, "ids": their_ids})
            none = await unit.db.rows(_NAMES_BY_ID, {"tenant": mine, "ids": []})
            other_one = await unit.db.rows(_NAMES_BY_ID, {"tenant": mine, "ids": ids[2:]})
        assert list(none) == []
        assert [name for (name,) in other_one] == ["c"]  # same length, other values
        assert [name for (name,) in one] == ["a"]
        assert [name for (name,) in three] == ["a", "b", "c"]
        if ON_POSTGRES:  # asking for another tenant by name: row-level security still says no
            assert list(leak) == []
    if texts is not None:
        assert len(texts.text_of(_NAMES_BY_ID, {"tenant": 1, "ids": [1]}).arguments(None)) == 2


def test_pages_before_the_deep_offset_skip_the_deferred_join() -> None:
    listed = select(Scope.id, Scope.name).where(Scope.tenant_id == 1)
    order = [Scope.id.asc()]
    assert "page_id" not in str(paged(listed, Scope.id, order, 15, DEEP_OFFSET - 15))
    assert "page_id" in str(paged(listed, Scope.id, order, 15, DEEP_OFFSET))
    both = PageStatements.of(listed, Scope.id, order, bindparam("limit"), bindparam("offset"))
    assert both.at(0) is both.shallow
    assert both.at(DEEP_OFFSET) is both.deep
