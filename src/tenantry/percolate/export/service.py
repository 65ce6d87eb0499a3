"""Exports as the API shows them, and starting one: the checks run here, the rows are
written by the job (:mod:`.jobs`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tenantry.core.jobs import enqueue
from tenantry.percolate.api.wire import timestamp
from tenantry.percolate.export.jobs import EXPORT_JOB, MAX_ATTEMPTS
from tenantry.percolate.export.links import download_url
from tenantry.percolate.export.models import Export
from tenantry.percolate.export.sources import Plan
from tenantry.settings import Settings


async def start_export(
    session: AsyncSession,
    tenant_id: int,
    user_id: int,
    plan: Plan,
    scope_ids: list[str],
) -> Export:
    """The export row and its job, in the caller's transaction (both or neither)."""
    export = Export(
        tenant_id=tenant_id,
        user_id=user_id,
        type=plan.type,
        fields=list(plan.fields),
        scope_ids=scope_ids,
        filters={
            "scopes": None if plan.scopes is None else list(plan.scopes),
            "dates": {key: list(bounds) for key, bounds in plan.dates.items()},
        },
    )
    session.add(export)
    await session.flush()
    await enqueue(
        session,
        EXPORT_JOB,
        {"export_id": export.id},
        tenant_id=tenant_id,
        max_attempts=MAX_ATTEMPTS,
    )
    return export


def present(export: Export, settings: Settings) -> dict[str, Any]:
    """``{id: "export:N", type, fields, scope_ids, status, …}`` plus the progress and, once
    complete, a fresh download link."""
    body: dict[str, Any] = {
        "id": f"export:{export.id}",
        "type": export.type,
        "fields": list(export.fields),
        "scope_ids": list(export.scope_ids),
        "status": export.status,
        "rows_done": export.rows_done,
        "rows_total": export.rows_total,
        "size": export.size,
        "error": export.error,
        "created_at": timestamp(export.created_at),
        "updated_at": timestamp(export.updated_at),
        "started_at": timestamp(export.started_at),
        "completed_at": timestamp(export.completed_at),
        "download_url": None,
    }
    if export.status == "complete":
        body["download_url"] = download_url(
            settings.base_url, settings.effective_secret_key, export.tenant_id, export.id
        )
    return body
