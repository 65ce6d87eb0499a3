"""``tenantry perscom activity list|prune``: the API log from the shell."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from tenantry.core.console import emit, run
from tenantry.perscom.webhooks.cli import TenantOption, in_tenant
from tenantry.settings import Settings

__all__ = ["activity_app"]

activity_app = typer.Typer(help="Read and prune the PERSCOM API log.", no_args_is_help=True)


@activity_app.command("list")
def list_(
    tenant: TenantOption,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    page: Annotated[int, typer.Option(min=1)] = 1,
) -> None:
    """The tenant's API log, newest first, one entry per line."""
    from tenantry.perscom.activity import service

    async def work(session: AsyncSession, settings: Settings) -> list[dict[str, Any]]:
        rows, _ = await service.list_activity(session, offset=(page - 1) * limit, limit=limit)
        return [service.describe(row) for row in rows]

    for entry in run(in_tenant(tenant, work)):
        emit(entry)


@activity_app.command("prune")
def prune(
    tenant: TenantOption,
    days: Annotated[
        int | None, typer.Option(min=1, help="Keep this many days (default: the setting).")
    ] = None,
) -> None:
    """Delete entries older than the retention now; prints ``{"deleted"}``."""
    from tenantry.perscom.activity import service
    from tenantry.perscom.limits import PerscomSettings

    keep = days if days is not None else PerscomSettings().activity_retention_days

    async def work(session: AsyncSession, settings: Settings) -> dict[str, Any]:
        return {"deleted": await service.prune(session, keep), "retention_days": keep}

    emit(run(in_tenant(tenant, work)))
