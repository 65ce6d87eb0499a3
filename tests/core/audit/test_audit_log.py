"""The core audit log on a real database: one entry per writing transaction with the field
diffs (ORM and Core writes alike), secrets never stored, the chain verifiable, tampering
named, pruning behind a checkpoint, filters refused with one line."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from tests.helpers import TenantFactory

from tenantry.core.audit import Actor, AuditEntry, act_as
from tenantry.core.audit.chain import verify
from tenantry.core.audit.query import parse_filters
from tenantry.core.audit.retention import prune
from tenantry.core.errors import ValidationFailed
from tenantry.core.identity import service as identity
from tenantry.core.identity.models import User
from tenantry.core.tenancy import tenant_session

pytestmark = pytest.mark.anyio

Sessions = async_sessionmaker[AsyncSession]


async def entries(sessions: Sessions, tenant_id: int) -> list[AuditEntry]:
    async with tenant_session(sessions, tenant_id) as session:
        rows = await session.scalars(select(AuditEntry).order_by(AuditEntry.seq))
        return list(rows)


async def new_user(sessions: Sessions, tenant_id: int, **options: Any) -> int:
    async with tenant_session(sessions, tenant_id) as session:
        act_as(session, Actor(7, "api_key:9", "req-1", "127.0.0.9"))
        user = await identity.create_user(
            session,
            email=f"u-{uuid.uuid4().hex[:8]}@example.com",
            name=options.get("name", "Grace"),
            password=options.get("password"),
        )
        return user.id


async def test_orm_writes_leave_one_entry_each_with_their_diff(
    sessions: Sessions, make_tenant: TenantFactory
) -> None:
    tenant_id = await make_tenant()
    before = len(await entries(sessions, tenant_id))
    user_id = await new_user(sessions, tenant_id, password="correct horse battery")
    async with tenant_session(sessions, tenant_id) as session:
        user = await session.get(User, (tenant_id, user_id))
        assert user is not None
        user.name = "Grace Hopper"
    async with tenant_session(sessions, tenant_id) as session:
        user = await session.get(User, (tenant_id, user_id))
        await session.delete(user)

    created, updated, deleted = (await entries(sessions, tenant_id))[before:]
    assert (created.action, created.resource_type, created.resource_id) == (
        "create",
        "users",
        str(user_id),
    )
    assert created.changes["name"] == [None, "Grace"]
    assert created.changes["password_hash"] == [None, "[redacted]"]
    assert "correct horse" not in str(created.changes) and "argon" not in str(created.changes)
    assert (created.actor_user_id, created.credential) == (7, "api_key:9")
    assert (created.request_id, created.address) == ("req-1", "127.0.0.9")
    assert (updated.action, updated.changes) == ("update", {"name": ["Grace", "Grace Hopper"]})
    assert updated.credential == "system"
    assert deleted.action == "delete" and deleted.changes["name"] == ["Grace Hopper", None]


async def test_core_statements_are_seen_too(sessions: Sessions, make_tenant: TenantFactory) -> None:
    tenant_id = await make_tenant()
    user_id = await new_user(sessions, tenant_id)
    count = len(await entries(sessions, tenant_id))
    async with tenant_session(sessions, tenant_id) as session:
        conn = await session.connection()
        await conn.execute(update(User.__table__).where(User.id == user_id).values(name="Ada"))
    async with tenant_session(sessions, tenant_id) as session:
        await session.execute(delete(User).where(User.id == user_id))
    changed, removed = (await entries(sessions, tenant_id))[count:]
    assert (changed.action, changed.resource_id) == ("update", str(user_id))
    assert changed.changes["name"] == ["Grace", "Ada"]
    assert set(changed.changes) <= {"name", "updated_at"}  # the column's onupdate fired
    assert (removed.action, removed.changes["name"]) == ("delete", ["Ada", None])


async def test_nothing_written_nothing_logged_and_rollback_logs_nothing(
    sessions: Sessions, make_tenant: TenantFactory
) -> None:
    tenant_id = await make_tenant()
    count = len(await entries(sessions, tenant_id))
    async with tenant_session(sessions, tenant_id) as session:
        await session.scalars(select(User))
    with pytest.raises(RuntimeError):
        async with tenant_session(sessions, tenant_id) as session:
            await identity.create_user(session, email="gone@example.com", name="Gone")
            await session.flush()
            raise RuntimeError("changed my mind")
    assert len(await entries(sessions, tenant_id)) == count


async def test_each_tenant_has_its_own_chain(
    sessions: Sessions, make_tenant: TenantFactory
) -> None:
    first, second = await make_tenant(), await make_tenant()
    await new_user(sessions, first)
    mine = await entries(sessions, first)
    theirs = await entries(sessions, second)
    assert {entry.tenant_id for entry in mine} == {first}
    assert not {entry.id for entry in mine} & {entry.id for entry in theirs}
    assert [entry.seq for entry in mine] == list(range(1, len(mine) + 1))
    async with tenant_session(sessions, second) as session:
        assert (await verify(session, second))[1] == []


async def test_tampering_with_one_row_fails_verify_and_names_it(
    sessions: Sessions, owner_engine: AsyncEngine, make_tenant: TenantFactory
) -> None:
    tenant_id = await make_tenant()
    await new_user(sessions, tenant_id, name="Honest")
    await new_user(sessions, tenant_id, name="Later")
    async with tenant_session(sessions, tenant_id) as session:
        count, problems = await verify(session, tenant_id)
    assert count >= 3 and problems == []
    target = next(e for e in await entries(sessions, tenant_id) if e.changes.get("name"))
    async with owner_engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE audit_entries SET resource_id = 'forged' WHERE tenant_id = :t AND id = :i"
            ),
            {"t": tenant_id, "i": target.id},
        )
    async with tenant_session(sessions, tenant_id) as session:
        _, problems = await verify(session, tenant_id)
    assert [(p.entry_id, p.seq) for p in problems] == [(target.id, target.seq)]
    assert str(problems[0]) == (
        f"entry {target.id} (seq {target.seq}): its content does not match its hash"
    )


async def test_a_deleted_entry_is_a_gap_and_a_cut_tail_is_noticed(
    sessions: Sessions, owner_engine: AsyncEngine, make_tenant: TenantFactory
) -> None:
    tenant_id = await make_tenant()
    for name in ("A", "B", "C"):
        await new_user(sessions, tenant_id, name=name)
    rows = await entries(sessions, tenant_id)
    middle, last = rows[-2], rows[-1]
    async with owner_engine.begin() as conn:
        await conn.execute(
            text("DELETE FROM audit_entries WHERE tenant_id = :t AND id IN (:a, :b)"),
            {"t": tenant_id, "a": middle.id, "b": last.id},
        )
    async with tenant_session(sessions, tenant_id) as session:
        _, problems = await verify(session, tenant_id)
    assert [str(p) for p in problems] == ["chain head: the last entries are missing"]
    await new_user(sessions, tenant_id, name="D")
    async with tenant_session(sessions, tenant_id) as session:
        _, problems = await verify(session, tenant_id)
    assert any("missing" in str(p) for p in problems)


async def test_pruning_keeps_the_chain_verifiable(
    sessions: Sessions, owner_engine: AsyncEngine, make_tenant: TenantFactory
) -> None:
    tenant_id = await make_tenant()
    for name in ("Old", "Older"):
        await new_user(sessions, tenant_id, name=name)
    old = await entries(sessions, tenant_id)
    await new_user(sessions, tenant_id, name="Recent")
    async with tenant_session(sessions, tenant_id) as session:
        boundary = (
            await session.scalars(select(AuditEntry.at).where(AuditEntry.seq == old[-1].seq + 1))
        ).one()
        removed = await prune(session, tenant_id, boundary)
    assert removed == len(old)
    rest = await entries(sessions, tenant_id)
    assert rest[0].seq == old[-1].seq + 1
    checkpoint = rest[-1]
    assert checkpoint.action == "checkpoint"
    assert checkpoint.changes["pruned_through_seq"] == [None, old[-1].seq]
    async with tenant_session(sessions, tenant_id) as session:
        assert (await verify(session, tenant_id))[1] == []
    # Cutting more without a checkpoint is noticed.
    async with owner_engine.begin() as conn:
        await conn.execute(
            text("DELETE FROM audit_entries WHERE tenant_id = :t AND seq = :s"),
            {"t": tenant_id, "s": rest[0].seq},
        )
    async with tenant_session(sessions, tenant_id) as session:
        _, problems = await verify(session, tenant_id)
    assert any("without a checkpoint" in str(p) for p in problems)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"since": "yesterday"}, "bad audit filter since='yesterday': not an ISO 8601 date"),
        ({"actor": "bob; drop"}, "bad audit filter actor='bob; drop': expected a user id"),
        ({"resource": ":12"}, "bad audit filter resource=':12': expected a resource type"),
        ({"until": "2026-13-01"}, "bad audit filter until='2026-13-01': not an ISO 8601 date"),
        (
            {"since": "2026-02-01", "until": "2026-01-31"},
            "bad audit filter until='2026-01-31': must be later than since",
        ),
    ],
)
def test_bad_filters_are_refused_in_one_line(options: dict[str, str], message: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        parse_filters(**options)
    assert refused.value.message.startswith(message)
    assert "\n" not in refused.value.message


def test_good_filters_parse() -> None:
    parsed = parse_filters(since="2026-01-02", actor="api_key:3", resource="users:12")
    assert parsed.since is not None and parsed.since.isoformat() == "2026-01-02T00:00:00+00:00"
    assert (parsed.credential, parsed.resource_type, parsed.resource_id) == (
        "api_key:3",
        "users",
        "12",
    )
    assert parse_filters(actor="12").actor_user_id == 12
    whole_day = parse_filters(until="2026-01-02").until
    assert whole_day is not None and whole_day.isoformat() == "2026-01-03T00:00:00+00:00"
    moment = parse_filters(until="2026-01-02T10:30:00+01:00").until
    assert moment is not None and moment.isoformat() == "2026-01-02T09:30:00+00:00"


async def test_another_tenant_cannot_read_the_entries(
    sessions: Sessions, make_tenant: TenantFactory
) -> None:
    mine, other = await make_tenant(), await make_tenant()
    await new_user(sessions, mine)
    assert await entries(sessions, mine)
    async with tenant_session(sessions, other) as session:
        seen = await session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.tenant_id == mine)
        )
    assert seen == 0
