"""Every write operation of the PERSCOM face leaves exactly one audit entry, attributed to the
API key that made it, naming the row it changed with the right field diff. The table is the
face's own route table (``operations(REGISTRY)``): a new resource is covered without a test."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.perscom.conftest import Org
from tests.perscom.scenarios import OPERATIONS, operation_id, prepare, required_files

from tenantry.core.audit import AuditEntry
from tenantry.core.tenancy import tenant_session
from tenantry.perscom.engine.declaration import BelongsToMany
from tenantry.perscom.engine.routes import Operation

pytestmark = pytest.mark.anyio

READS = {"index", "search", "show"}
WRITES = [operation for operation in OPERATIONS if operation.action not in READS]
PIVOTS = {"attach", "detach", "sync", "toggle", "update_pivot"}


async def entries_after(
    sessions: async_sessionmaker[AsyncSession], tenant_id: int, seq: int
) -> list[AuditEntry]:
    async with tenant_session(sessions, tenant_id) as session:
        found = await session.scalars(
            select(AuditEntry).where(AuditEntry.seq > seq).order_by(AuditEntry.seq)
        )
        return list(found)


async def head(sessions: async_sessionmaker[AsyncSession], tenant_id: int) -> int:
    async with tenant_session(sessions, tenant_id) as session:
        found = await session.scalar(select(AuditEntry.seq).order_by(AuditEntry.seq.desc()))
        return int(found or 0)


def created_id(operation: Operation, body: Any) -> str:
    data = body["data"]
    return str((data[0] if operation.action == "batch_store" else data)["id"])


def _takes(operation: Operation, sent: dict[str, Any]) -> bool:
    relation = operation.relation
    assert relation is not None and isinstance(relation.spec, BelongsToMany)
    return bool(set(sent) & set(relation.spec.pivot_fields))


@pytest.mark.parametrize("operation", WRITES, ids=operation_id)
async def test_each_write_leaves_one_entry_with_its_diff(
    shared_api: httpx.AsyncClient,
    shared_org: Org,
    sessions: async_sessionmaker[AsyncSession],
    operation: Operation,
) -> None:
    prepared = await prepare(shared_api, operation)
    before = await head(sessions, shared_org.tenant_id)
    response = await prepared.send(shared_api, shared_org.headers)
    found = await entries_after(sessions, shared_org.tenant_id, before)
    if operation.action == "batch_store" and required_files(operation.target):
        assert response.status_code == 422, response.text
        assert found == []  # refused: nothing written, nothing logged
        return
    assert response.status_code == prepared.expect, response.text
    if operation.action == "update_pivot" and not _takes(operation, prepared.json["pivot"]):
        assert found == []  # the pivot has none of the fields sent: nothing was written
        return
    assert len(found) == 1, [(e.action, e.resource_type, e.related) for e in found]
    (entry,) = found
    assert (entry.actor_user_id, entry.credential) == (
        shared_org.user_id,
        f"api_key:{shared_org.key_id}",
    )
    assert entry.request_id == response.headers["x-request-id"]
    table = operation.target.table.name
    action = operation.action
    if action in ("store", "batch_store"):
        assert (entry.action, entry.resource_type) == ("create", table)
        assert entry.resource_id == created_id(operation, response.json())
        assert entry.changes["id"] == [None, int(entry.resource_id)]
    elif action in ("update", "batch_update"):
        assert (entry.action, entry.resource_type) == ("update", table)
        assert entry.resource_id == str(prepared.ids["related"])
        data = response.json()["data"]
        shown = data[0] if isinstance(data, list) else data
        if str(shown.get("created_at", "")).startswith("2024-02-02"):
            assert entry.changes["created_at"][1] == "2024-02-02T00:00:00.000000Z"
        else:  # the resource does not take created_at: the row was still touched
            assert set(entry.changes) == {"updated_at"}
    elif action in ("destroy", "batch_destroy"):
        assert (entry.action, entry.resource_type) == ("delete", table)
        assert entry.resource_id == str(prepared.ids["related"])
        assert entry.changes["id"] == [int(entry.resource_id), None]
    else:
        spec = operation.relation.spec if operation.relation else None
        assert isinstance(spec, BelongsToMany)
        related = prepared.ids["related"]
        assert entry.resource_type == spec.pivot.name
        if action == "update_pivot":
            assert entry.action == "update"
            for field, value in prepared.json["pivot"].items():
                if field in spec.pivot_fields:
                    assert entry.changes[field][1] == value, entry.changes
        elif action == "detach":
            assert entry.action == "delete"
            assert entry.changes[spec.related_key] == [related, None]
        else:
            assert entry.action == "create"
            assert entry.changes[spec.related_key] == [None, related]
