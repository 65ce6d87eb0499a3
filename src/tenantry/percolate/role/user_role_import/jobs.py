"""The import job: stream the CSV asset, apply each row, record the outcome per row; after a
bulk import, a follow-up job refreshes the planner statistics of the tables it filled."""

from __future__ import annotations

from typing import Any

from tenantry.core.analyze import BULK_ROWS
from tenantry.core.analyze_jobs import enqueue_analyze
from tenantry.core.base import utcnow
from tenantry.core.identity.models import User, UserRole
from tenantry.core.jobs import JobContext, job_handlers
from tenantry.core.storage import StorageKeyNotFound, open_storage
from tenantry.percolate.asset.models import Asset
from tenantry.percolate.role.user_role_import.models import UserRoleImport
from tenantry.percolate.role.user_role_import.rows import (
    HEADER,
    MAX_REPORTED_ERRORS,
    Applier,
    RowError,
    lines_of,
    parse_line,
)

IMPORT_JOB = "percolate.user_role_import"


def _fail(run: UserRoleImport, line: int, message: str) -> None:
    run.error_count += 1
    if len(run.errors) < MAX_REPORTED_ERRORS:
        run.errors = [*run.errors, {"line": line, "message": message}]


@job_handlers.register(IMPORT_JOB)
async def run_import(ctx: JobContext, payload: dict[str, Any]) -> None:
    assert ctx.tenant_id is not None
    run = await ctx.session.get(UserRoleImport, (ctx.tenant_id, int(payload["import_id"])))
    if run is None or run.status not in ("queued", "processing"):
        return
    asset = await ctx.session.get(Asset, (ctx.tenant_id, run.asset_id))
    run.status, run.row_count, run.created_count, run.error_count, run.errors = (
        "processing",
        0,
        0,
        0,
        [],
    )
    storage = open_storage(ctx.settings)
    applier = Applier(ctx.session, ctx.tenant_id, run.account_id)
    try:
        if asset is None:
            raise StorageKeyNotFound("")
        number = 0
        async for line in lines_of(storage.stream(asset.storage_key)):
            number += 1
            if not line.strip():
                continue
            cells = parse_line(line.rstrip("\r"))
            if number == 1:
                if [c.strip().lower() for c in cells] != list(HEADER):
                    run.status = "error"
                    _fail(run, 1, f"The header must be {','.join(HEADER)}.")
                    return
                continue
            run.row_count += 1
            try:
                if await applier.apply(cells):
                    run.created_count += 1
            except RowError as error:
                _fail(run, number, str(error))
        run.status = "complete"
        if run.created_count >= BULK_ROWS:
            await enqueue_analyze(ctx.session, [User.__tablename__, UserRole.__tablename__])
    except StorageKeyNotFound:
        run.status = "error"
        _fail(run, 0, "The CSV file is not in storage.")
    finally:
        run.updated_at = utcnow()
        await storage.close()
