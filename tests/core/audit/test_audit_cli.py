"""``tenantry audit list|verify|prune`` as a real process: JSON lines and a table, a tampered
row named by ``verify`` with exit status 1, a bad filter refused in one line, pruning that
leaves the chain verifiable."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from tests.helpers import TenantFactory
from tests.test_cli import created, tenantry

from tenantry.core.identity import service as identity
from tenantry.core.tenancy import tenant_session
from tenantry.settings import Settings

pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("migrated")]


async def test_a_cli_write_is_listed_and_tampering_is_named(
    settings: Settings, owner_engine: AsyncEngine, make_tenant: TenantFactory
) -> None:
    tid = str(await make_tenant())
    user = created(
        tenantry(settings, "user", "create", "--tenant", tid, "--email", "a@example.org",
                 "--name", "Audited", "--password", "s3cret-Passw0rd")
    )  # fmt: skip
    listed = tenantry(settings, "audit", "list", "--tenant", tid, "--json", "--resource", "users")
    assert listed.returncode == 0, listed.stderr
    (entry,) = [json.loads(line) for line in listed.stdout.splitlines()]
    assert (entry["action"], entry["resource_id"]) == ("create", str(user["id"]))
    assert entry["actor"] == {"user_id": None, "credential": "cli"}
    assert entry["changes"]["password_hash"] == [None, "[redacted]"]
    assert "s3cret" not in listed.stdout
    before = tenantry(settings, "audit", "list", "--tenant", tid, "--json", "--until", "2000-01-01")
    assert before.returncode == 0 and before.stdout == "", before.stderr

    async with owner_engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE audit_entries SET credential = 'api_key:1' WHERE tenant_id = :t AND id = :i"
            ),
            {"t": int(tid), "i": entry["id"]},
        )
    broken = tenantry(settings, "audit", "verify", "--tenant", tid)
    assert broken.returncode == 1
    assert broken.stdout == ""
    assert broken.stderr.strip() == (
        f"tenantry: audit chain broken at entry {entry['id']} (seq {entry['seq']}): "
        "its content does not match its hash"
    )


async def test_table_verify_and_prune(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    make_tenant: TenantFactory,
) -> None:
    tenant_id = await make_tenant()
    async with tenant_session(sessions, tenant_id) as session:
        made = await identity.create_user(session, email="t@example.org", name="Tabled")
    tid = str(tenant_id)
    table = tenantry(settings, "audit", "list", "--tenant", tid)
    assert table.returncode == 0, table.stderr
    assert f"users:{made.id}" in table.stdout and "system" in table.stdout
    pruned = created(
        tenantry(settings, "audit", "prune", "--tenant", tid, "--older-than-days", "0")
    )
    assert pruned == {"tenant_id": tenant_id, "pruned": 2}  # the tenant's roles, then the user
    verified = created(tenantry(settings, "audit", "verify", "--tenant", tid))
    assert verified == {"tenant_id": tenant_id, "entries": 1, "verified": True}  # the checkpoint


@pytest.mark.parametrize(
    ("option", "value"),
    [("--since", "tomorrow-ish"), ("--until", "2026-02-30"), ("--actor", "who?"),
     ("--resource", "a-b")],
)  # fmt: skip
def test_a_bad_filter_is_one_line(settings: Settings, option: str, value: str) -> None:
    refused = tenantry(settings, "audit", "list", "--tenant", "1", option, value)
    assert refused.returncode == 1
    assert refused.stdout == ""
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1
    assert f"bad audit filter {option[2:]}={value!r}" in lines[0]
