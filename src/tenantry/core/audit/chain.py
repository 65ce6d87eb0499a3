"""The hash chain of a tenant's entries: append one, verify them all.

Each entry's hash is ``sha256(prev_hash + canonical JSON of the entry)``. Appending locks
the tenant's head row (``FOR UPDATE`` on PostgreSQL; SQLite already serialises writers), so
two transactions of one tenant can never both extend the same entry.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession

from tenantry.core.audit.actor import Actor
from tenantry.core.audit.models import AuditEntry, AuditHead
from tenantry.core.audit.values import canonical, moment
from tenantry.core.base import utcnow
from tenantry.core.ids import allocate_ids

__all__ = ["GENESIS", "Broken", "append", "digest", "record_of", "verify"]

GENESIS = "0" * 64
"""The ``prev_hash`` of a tenant's first entry."""

_ENTRIES: Table = cast(Table, AuditEntry.__table__)
_HEADS: Table = cast(Table, AuditHead.__table__)


def record_of(row: Any) -> dict[str, Any]:
    """What an entry's hash covers (every column but its own id, hash and timestamps)."""
    return {
        "seq": row.seq,
        "at": moment(row.at),
        "actor_user_id": row.actor_user_id,
        "credential": row.credential,
        "action": row.action,
        "resource_type": row.resource_type,
        "resource_id": row.resource_id,
        "changes": row.changes,
        "related": row.related,
        "request_id": row.request_id,
        "address": row.address,
        "prev_hash": row.prev_hash,
    }


def digest(prev_hash: str, record: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical(record)).encode()).hexdigest()


def _lock_head(conn: Connection, tenant_id: int) -> tuple[int, str]:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(
        dialect.insert(_HEADS)
        .values(tenant_id=tenant_id, seq=0, hash=GENESIS)
        .on_conflict_do_nothing()
    )
    row = conn.execute(
        select(_HEADS.c.seq, _HEADS.c.hash).where(_HEADS.c.tenant_id == tenant_id).with_for_update()
    ).one()
    return int(row.seq), str(row.hash)


@dataclass(frozen=True)
class _Draft:
    seq: int
    at: Any
    actor_user_id: int | None
    credential: str
    action: str
    resource_type: str
    resource_id: str | None
    changes: Any
    related: Any
    request_id: str | None
    address: str | None
    prev_hash: str


def append(conn: Connection, tenant_id: int, actor: Actor, fields: dict[str, Any]) -> int:
    """Write one entry at the head of ``tenant_id``'s chain (sync: runs in session events).

    Returns its ``seq``.
    """
    seq, prev_hash = _lock_head(conn, tenant_id)
    now = utcnow()
    draft = _Draft(
        seq=seq + 1,
        at=now,
        actor_user_id=actor.user_id,
        credential=actor.credential,
        action=fields["action"],
        resource_type=fields["resource_type"],
        resource_id=fields["resource_id"],
        changes=fields["changes"],
        related=fields["related"],
        request_id=actor.request_id,
        address=actor.address,
        prev_hash=prev_hash,
    )
    entry_hash = digest(prev_hash, record_of(draft))
    (entry_id,) = allocate_ids(conn, 1)
    conn.execute(
        insert(_ENTRIES).values(
            tenant_id=tenant_id,
            id=entry_id,
            created_at=now,
            updated_at=now,
            hash=entry_hash,
            **{key: getattr(draft, key) for key in _Draft.__dataclass_fields__},
        )
    )
    conn.execute(
        update(_HEADS).where(_HEADS.c.tenant_id == tenant_id).values(seq=draft.seq, hash=entry_hash)
    )
    return draft.seq


@dataclass(frozen=True)
class Broken:
    """One place where the chain does not hold."""

    entry_id: int | None
    seq: int | None
    reason: str

    def __str__(self) -> str:
        where = "chain head" if self.entry_id is None else f"entry {self.entry_id} (seq {self.seq})"
        return f"{where}: {self.reason}"


async def verify(session: AsyncSession, tenant_id: int) -> tuple[int, list[Broken]]:
    """Check every entry of ``tenant_id``: its hash, its link to the previous one, no gap,
    and that the head names the last one. Returns (entries checked, problems)."""
    rows = await session.stream(
        select(_ENTRIES).where(_ENTRIES.c.tenant_id == tenant_id).order_by(_ENTRIES.c.seq)
    )
    problems: list[Broken] = []
    previous: tuple[int, str] | None = None
    anchors: dict[int, str] = {}
    first: Any = None
    count = 0
    async for row in rows:
        count += 1
        if first is None:
            first = row
        record = record_of(row)
        if digest(row.prev_hash, record) != row.hash:
            problems.append(Broken(row.id, row.seq, "its content does not match its hash"))
        if previous is not None:
            if row.seq != previous[0] + 1:
                problems.append(Broken(row.id, row.seq, f"entries {previous[0] + 1}.. missing"))
            elif row.prev_hash != previous[1]:
                problems.append(Broken(row.id, row.seq, "does not link to the entry before"))
        if row.action == "checkpoint" and isinstance(row.changes, dict):
            through = row.changes.get("pruned_through_seq", [None, None])[1]
            anchor = row.changes.get("pruned_through_hash", [None, None])[1]
            if isinstance(through, int) and isinstance(anchor, str):
                anchors[through] = anchor
        previous = (row.seq, row.hash)
    if first is not None:
        if first.seq == 1:
            if first.prev_hash != GENESIS:
                problems.append(Broken(first.id, first.seq, "the first entry has a predecessor"))
        elif anchors.get(first.seq - 1) != first.prev_hash:
            problems.append(
                Broken(first.id, first.seq, "earlier entries are gone without a checkpoint")
            )
    head = (
        await session.execute(
            select(_HEADS.c.seq, _HEADS.c.hash).where(_HEADS.c.tenant_id == tenant_id)
        )
    ).first()
    last = previous or (0, GENESIS)
    if (head is None and previous is not None) or (
        head is not None and (int(head.seq), str(head.hash)) != last
    ):
        problems.append(Broken(None, None, "the last entries are missing"))
    return count, problems
