"""``tenantry export create|status|download``: the same export job, for operators.

``create`` queues an export for a user of the account (who gets the mail) and, unless told
``--no-wait``, follows the job with a progress bar on stderr until it ends; a worker must be
running (``tenantry serve`` embeds one). ``status`` prints an export (``--watch`` follows
it); ``download`` streams the finished CSV from storage to a file. JSON goes to stdout.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tenantry.core.console import emit, fail, run, with_sessions
from tenantry.settings import Settings

export_app = typer.Typer(help="Export Percolate data as CSV (operators).", no_args_is_help=True)

__all__ = ["export_app"]

Sessions = async_sessionmaker[AsyncSession]
POLL_SECONDS = 0.5
ENDED = ("complete", "error")


def _key(wire: str) -> int:
    head, _, tail = wire.partition(":")
    if not tail:
        head, tail = "export", head
    if head != "export" or not tail.isdigit():
        fail(f"{wire!r} is not an export id (export:N)")
    return int(tail)


async def _create(
    settings: Settings,
    sessions: Sessions,
    *,
    tenant_id: int,
    user: str,
    type_: str,
    fields: str | None,
    scope_ids: str | None,
    filters: list[str],
) -> dict[str, Any]:
    from tenantry.core.identity import service as identity
    from tenantry.core.identity.models import User
    from tenantry.core.scopes import descendants_select
    from tenantry.core.tenancy import tenant_session
    from tenantry.percolate.export import filters as checks
    from tenantry.percolate.export.service import present, start_export
    from tenantry.percolate.export.sources import SOURCES, Plan

    async with sessions() as session:
        await identity.get_tenant(session, tenant_id)
    kind = checks.export_type(type_)
    keys = checks.field_list(kind, fields)
    refs = checks.scope_refs(scope_ids)
    params: dict[str, str] = {}
    for item in filters:
        name, equals, value = item.partition("=")
        if not equals:
            fail(f"a filter is FIELD:from=VALUE or FIELD:to=VALUE, not {item!r}")
        params[name] = value
    dates = checks.date_ranges(kind, params)
    async with tenant_session(sessions, tenant_id) as session:
        by = User.id == int(user) if user.isdigit() else User.email == user.strip().lower()
        requester = await session.scalar(select(User.id).where(User.tenant_id == tenant_id, by))
        if requester is None:
            fail(f"no user {user!r} in tenant {tenant_id}")
        scopes: tuple[int, ...] | None = None
        rows = [ref.key for ref in refs if ref.key is not None and ref.kind != "account"]
        if rows and SOURCES[kind].scope_column is not None:
            below = await session.scalars(descendants_select(tenant_id, rows))
            scopes = tuple(sorted(set(below)))
        plan = Plan(kind, keys, scopes, dates)
        wires = [item.strip() for item in (scope_ids or "").split(",") if item.strip()]
        export = await start_export(session, tenant_id, requester, plan, wires)
        return present(export, settings)


async def _read(settings: Settings, sessions: Sessions, tenant_id: int, key: int) -> Any:
    from tenantry.core.tenancy import tenant_session
    from tenantry.percolate.export.models import Export
    from tenantry.percolate.export.service import present

    async with tenant_session(sessions, tenant_id) as session:
        export = await session.get(Export, (tenant_id, key))
        if export is None:
            fail(f"no export export:{key} in tenant {tenant_id}")
        shown = present(export, settings)
        if export.started_at is not None and export.completed_at is not None:
            # Precise, unlike the wire's whole seconds: what the bench divides rows by.
            shown["seconds"] = (export.completed_at - export.started_at).total_seconds()
        return shown


async def _follow(settings: Settings, sessions: Sessions, tenant_id: int, key: int) -> Any:
    """Poll the export, drawing rows done of the estimated total, until it ends."""
    columns = (
        TextColumn("export:{task.fields[key]} {task.fields[status]}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=False) as progress:
        task = progress.add_task("export", total=None, key=key, status="queued")
        while True:
            shown = await _read(settings, sessions, tenant_id, key)
            progress.update(
                task,
                total=shown["rows_total"],
                completed=shown["rows_done"],
                status=shown["status"],
            )
            if shown["status"] in ENDED:
                return shown
            await asyncio.sleep(POLL_SECONDS)


@export_app.command("create")
def export_create(
    tenant: Annotated[int, typer.Option(help="Tenant (account) id.")],
    user: Annotated[str, typer.Option(help="The requester (email or id): gets the mail.")],
    type_: Annotated[str, typer.Option("--type", help="post, asset, user, … (reference §3.15).")],
    fields: Annotated[
        str | None, typer.Option(help="CSV of fields, in column order (default: all).")
    ] = None,
    scope_ids: Annotated[str | None, typer.Option(help="CSV of scope ids, e.g. license:3.")] = None,
    filter_: Annotated[
        list[str] | None,
        typer.Option("--filter", help="Date range: FIELD:from=DATE or FIELD:to=DATE (repeat)."),
    ] = None,
    wait: Annotated[bool, typer.Option(help="Follow the job with a progress bar.")] = True,
) -> None:
    """Queue an export; prints {"id": "export:N", ...} (after it ends, with --wait)."""

    async def work(settings: Settings) -> dict[str, Any]:
        async def go(sessions: Sessions) -> dict[str, Any]:
            made = await _create(
                settings,
                sessions,
                tenant_id=tenant,
                user=user,
                type_=type_,
                fields=fields,
                scope_ids=scope_ids,
                filters=filter_ or [],
            )
            if not wait:
                return made
            done: dict[str, Any] = await _follow(settings, sessions, tenant, _key(made["id"]))
            return done

        return await with_sessions(settings, go)

    emit(run(work))


@export_app.command("status")
def export_status(
    export_id: Annotated[str, typer.Argument(help="export:N")],
    tenant: Annotated[int, typer.Option(help="Tenant (account) id.")],
    watch: Annotated[bool, typer.Option(help="Follow it with a progress bar.")] = False,
) -> None:
    """Print an export: status, rows done of the total, and its link once complete."""
    key = _key(export_id)

    async def work(settings: Settings) -> dict[str, Any]:
        follow = _follow if watch else _read
        shown: dict[str, Any] = await with_sessions(
            settings, lambda sessions: follow(settings, sessions, tenant, key)
        )
        return shown

    emit(run(work))


@export_app.command("download")
def export_download(
    export_id: Annotated[str, typer.Argument(help="export:N")],
    tenant: Annotated[int, typer.Option(help="Tenant (account) id.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the CSV.")],
) -> None:
    """Stream a finished export's CSV from storage into a file."""
    key = _key(export_id)

    async def work(settings: Settings) -> dict[str, Any]:
        from tenantry.core.storage import open_storage

        shown = await with_sessions(
            settings, lambda sessions: _read(settings, sessions, tenant, key)
        )
        if shown["status"] != "complete":
            fail(f"export:{key} is {shown['status']}, not complete")
        from tenantry.percolate.export.links import storage_key

        storage = open_storage(settings)
        size = 0
        try:
            with output.open("wb") as sink:
                async for chunk in storage.stream(storage_key(tenant, key)):
                    sink.write(chunk)
                    size += len(chunk)
        finally:
            await storage.close()
        return {"id": f"export:{key}", "path": str(output), "size": size}

    emit(run(work))
