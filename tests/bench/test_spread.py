"""The bench spreads each scenario's load over many tenants and credentials."""

from __future__ import annotations

from pathlib import Path

from bench.data import Dataset, Plan
from bench.scenarios import SCENARIOS, SPREAD, ProvisionContext, perscom_tenant_header
from bench.wrk import write_script


def _context(tenants: int = 100, rows: int = 100_000) -> ProvisionContext:
    facts = {
        "tenants": {"ids": list(range(1, tenants + 1))},
        "users": {"id_base": 1000},
        "percolate_scopes": {"probe": 7},
        "percolate_posts": {
            "id_base": 500_000,
            "count": 10_000,
            "license_probe": 9,
            "meta_schema": 3,
        },
    }
    return ProvisionContext(dataset=Dataset(Plan(rows=rows, tenants=tenants), facts), env={})


def test_a_tenant_spread_reads_fifty_tenants_each_with_one_of_its_own_users() -> None:
    ctx = _context()
    slots = ctx.slots("tenants")
    assert len(slots) == SPREAD
    assert len({s.tenant_id for s in slots}) == SPREAD
    assert ctx.tenant_id in {s.tenant_id for s in slots}
    for slot in slots:
        position = ctx.dataset.tenant_ids.index(slot.tenant_id)
        assert (slot.user_id - 1000) % 100 == position  # the user belongs to its tenant


def test_a_small_data_set_spreads_over_every_tenant_it_has() -> None:
    slots = _context(tenants=3, rows=30).slots("tenants")
    assert sorted(s.tenant_id for s in slots) == [1, 2, 3]


def test_a_credential_spread_keeps_the_tenant_and_varies_the_user_and_post() -> None:
    ctx = _context()
    slots = ctx.slots("credentials")
    assert len(slots) == SPREAD
    assert {s.tenant_id for s in slots} == {ctx.tenant_id}
    assert len({s.user_id for s in slots}) == SPREAD
    position = ctx.dataset.tenant_ids.index(ctx.tenant_id)
    assert all((s.user_id - 1000) % 100 == position for s in slots)
    posts = {ctx.variables(s)["post_id"] for s in slots}
    assert len(posts) == SPREAD
    assert all(500_000 <= p < 510_000 for p in posts)


def test_every_scenario_with_credentials_is_spread() -> None:
    for scenario in SCENARIOS:
        if scenario.name in {"healthz", "readyz"}:
            assert scenario.spread == "single"
        else:
            assert scenario.spread in {"tenants", "credentials"}, scenario.name
    users = {s.name: s.spread for s in SCENARIOS if s.name.startswith("users-")}
    assert set(users.values()) == {"tenants"}  # every tenant holds users


def test_the_floor_gets_the_same_tenants() -> None:
    ctx = _context()
    for slot in ctx.slots("tenants")[:3]:
        assert perscom_tenant_header(ctx, slot)["X-Perscom-Id"] == str(slot.tenant_id)


def test_the_script_cycles_through_every_request(tmp_path: Path) -> None:
    requests = [(f"/v1/users/{i}", {"X-Perscom-Id": str(i)}) for i in range(1, 4)]
    script = write_script(tmp_path / "s.lua", "GET", requests, None).read_text()
    for path, headers in requests:
        assert f'"{path}"' in script
        assert f'["X-Perscom-Id"] = "{headers["X-Perscom-Id"]}"' in script
    assert "request = function()" in script
