"""The export job: stream the CSV into storage, report progress, then mark the export
complete and mail the link in the job's own transaction.

Progress and the ``processing``/``error`` states are written in short transactions of their
own so they are readable while the job runs; completion and the mail job are written through
the job's session, so they commit with the job's success exactly once. A worker killed
mid-export leaves its lease to expire; the next attempt starts over and overwrites the same
storage key: one file, one mail.
"""

from __future__ import annotations

import time
from typing import Any, Final

from sqlalchemy import func, select, update

from tenantry.core.base import utcnow
from tenantry.core.identity.models import User
from tenantry.core.jobs import JobContext, job_handlers
from tenantry.core.mail import OutgoingMail
from tenantry.core.mail_jobs import enqueue_mail
from tenantry.core.resources.scoped import of_tenant
from tenantry.core.storage import open_storage
from tenantry.core.tenancy import tenant_session
from tenantry.percolate.export.links import LINK_SECONDS, download_url, storage_key
from tenantry.percolate.export.models import Export
from tenantry.percolate.export.rows import csv_chunks, stream_pages
from tenantry.percolate.export.sources import Plan

EXPORT_JOB: Final = "percolate.export"
MAX_ATTEMPTS: Final = 3
PROGRESS_SECONDS: Final = 0.5
"""At most this often the running count is written (a write per chunk would be too many)."""
CONTENT_TYPE: Final = "text/csv; charset=utf-8"


def plan_of(export: Export) -> Plan:
    scopes = export.filters.get("scopes")
    dates = export.filters.get("dates", {})
    return Plan(
        export.type,
        tuple(export.fields),
        None if scopes is None else tuple(scopes),
        {key: (bounds[0], bounds[1]) for key, bounds in dates.items()},
    )


def _mail(export: Export, email: str, rows: int, url: str) -> OutgoingMail:
    days = LINK_SECONDS // 86400
    return OutgoingMail(
        to=[email],
        subject=f"Your {export.type} export is ready",
        text=(
            f"Your export of {rows} {export.type} rows (export:{export.id}) is ready.\n\n"
            f"Download the CSV within {days} days:\n{url}\n"
        ),
        headers={"X-Tenantry-Export": f"export:{export.id}"},
    )


async def _set(ctx: JobContext, export_id: int, **values: Any) -> None:
    """Write ``values`` now, outside the job's transaction (readable while the job runs)."""
    assert ctx.tenant_id is not None
    async with tenant_session(ctx.session_factory, ctx.tenant_id) as session:
        await session.execute(
            update(Export)
            .where(of_tenant(Export, ctx.tenant_id), Export.id == export_id)
            .values(updated_at=utcnow(), **values)
        )


@job_handlers.register(EXPORT_JOB)
async def run_export(ctx: JobContext, payload: dict[str, Any]) -> None:
    tenant_id = ctx.tenant_id
    assert tenant_id is not None
    export_id = int(payload["export_id"])
    postgres = not ctx.settings.is_sqlite
    async with tenant_session(ctx.session_factory, tenant_id) as session:
        export = await session.get(Export, (tenant_id, export_id))
        if export is None or export.status in ("complete", "error"):
            return
        email = await session.scalar(
            select(User.email).where(of_tenant(User, tenant_id), User.id == export.user_id)
        )
        session.expunge(export)
    plan = plan_of(export)
    # The rows may come from the replica, once it holds every write made before this job ran.
    reads = await ctx.lag_tolerant_sessions()
    stmt = plan.select(tenant_id)
    total = 0
    if stmt is not None:
        async with tenant_session(reads, tenant_id) as session:
            total = int(
                await session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
            )
    await _set(
        ctx,
        export_id,
        status="processing",
        rows_done=0,
        rows_total=total,
        error=None,
        started_at=utcnow(),
    )
    last_write = time.monotonic()

    async def progress(count: int) -> None:
        nonlocal last_write
        if time.monotonic() - last_write >= PROGRESS_SECONDS:
            last_write = time.monotonic()
            await _set(ctx, export_id, rows_done=count)

    done = 0

    async def counted(count: int) -> None:
        nonlocal done
        done = count
        await progress(count)

    key = storage_key(tenant_id, export_id)
    storage = open_storage(ctx.settings)
    try:
        pages = stream_pages(reads, tenant_id, plan, postgres=postgres)
        stored = await storage.put(key, csv_chunks(plan, pages, counted), CONTENT_TYPE)
    except Exception as error:
        reason = f"{type(error).__name__}: {error}"[:2000]
        await _set(
            ctx, export_id, status="error" if ctx.is_last_attempt else "queued", error=reason
        )
        raise
    finally:
        await storage.close()
    # The job's own transaction: completion and the mail commit with the job, once.
    await ctx.session.execute(
        update(Export)
        .where(of_tenant(Export, tenant_id), Export.id == export_id)
        .values(
            status="complete",
            rows_done=done,
            rows_total=done,
            size=stored.size,
            storage_key=key,
            error=None,
            completed_at=utcnow(),
            updated_at=utcnow(),
        )
    )
    if email:
        url = download_url(
            ctx.settings.base_url, ctx.settings.effective_secret_key, tenant_id, export_id
        )
        await enqueue_mail(ctx.session, _mail(export, email, done, url), tenant_id=tenant_id)
