"""Reading and pruning the API log (tenant-scoped sessions: RLS and the guard apply)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tenantry.core.base import utcnow
from tenantry.core.jobs import JobContext, job_handlers
from tenantry.core.tenancy import tenant_of
from tenantry.perscom.activity.models import ApiActivity
from tenantry.perscom.activity.writer import PRUNE_JOB
from tenantry.perscom.engine.runtime import format_datetime

__all__ = ["DEFAULT_RETENTION_DAYS", "describe", "list_activity", "prune", "run_prune"]

DEFAULT_RETENTION_DAYS = 30


def describe(row: ApiActivity) -> dict[str, Any]:
    """An entry as the API and the CLI show it (spatie's ``log_name`` and ``description``)."""
    return {
        "id": row.id,
        "log_name": row.log_name,
        "description": f"{row.method} {row.path}",
        "method": row.method,
        "path": row.path,
        "query": row.query,
        "status": row.status,
        "duration_ms": row.duration_ms,
        "credential": {"kind": row.credential_kind, "id": row.credential_id},
        "request": {"headers": row.request_headers, "body": row.request_body},
        "response": {"headers": row.response_headers, "body": row.response_body},
        "request_id": row.request_id,
        "created_at": format_datetime(row.created_at),
    }


async def list_activity(
    session: AsyncSession, *, offset: int = 0, limit: int = 15
) -> tuple[list[ApiActivity], int]:
    """A page of the tenant's entries, newest first, and how many there are."""
    _require_tenant(session)
    total = int(await session.scalar(select(func.count()).select_from(ApiActivity)) or 0)
    rows = await session.scalars(
        select(ApiActivity).order_by(ApiActivity.id.desc()).offset(offset).limit(limit)
    )
    return list(rows.all()), total


async def prune(session: AsyncSession, retention_days: int) -> int:
    """Delete the tenant's entries older than ``retention_days``; how many went."""
    _require_tenant(session)
    cutoff = utcnow() - timedelta(days=retention_days)
    result = await session.execute(
        delete(ApiActivity)
        .where(ApiActivity.created_at < cutoff)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


@job_handlers.register(PRUNE_JOB)
async def run_prune(ctx: JobContext, payload: dict[str, Any]) -> None:
    """The daily prune of one tenant's log (scheduled by the writer)."""
    if ctx.tenant_id is None:
        raise ValueError("a prune job must belong to a tenant")
    days = int(payload.get("retention_days") or DEFAULT_RETENTION_DAYS)
    await prune(ctx.session, days)


def _require_tenant(session: AsyncSession) -> None:
    if tenant_of(session) is None:
        raise ValueError("the API log needs a tenant-scoped session")
