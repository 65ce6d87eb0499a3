"""``tenantry audit list|verify|prune``: read, check and trim a tenant's audit log."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from tenantry.core.audit import query
from tenantry.core.audit.chain import verify
from tenantry.core.audit.retention import prune
from tenantry.core.base import utcnow
from tenantry.core.console import emit, fail, run, with_sessions
from tenantry.core.errors import ValidationFailed
from tenantry.core.identity import service as identity
from tenantry.core.tenancy import tenant_session
from tenantry.settings import Settings

__all__ = ["audit_app"]

audit_app = typer.Typer(help="Read and verify a tenant's audit log.", no_args_is_help=True)

TenantOption = Annotated[int, typer.Option("--tenant", help="Tenant id.")]


async def _in_tenant(settings: Settings, tenant: int, work: Any) -> Any:
    async def body(sessions: Any) -> Any:
        async with sessions() as session:
            await identity.get_tenant(session, tenant)
        async with tenant_session(sessions, tenant) as session:
            return await work(session)

    return await with_sessions(settings, body)


@audit_app.command("list")
def audit_list(
    tenant: TenantOption,
    since: Annotated[str | None, typer.Option(help="ISO date or time.")] = None,
    until: Annotated[str | None, typer.Option(help="ISO date (through its end) or time.")] = None,
    actor: Annotated[str | None, typer.Option(help="User id or credential (api_key:12).")] = None,
    resource: Annotated[str | None, typer.Option(help="Resource type, or type:id.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many, newest first.")] = 100,
    json_lines: Annotated[bool, typer.Option("--json", help="JSON lines, not a table.")] = False,
) -> None:
    """List entries, newest first."""
    try:
        filters = query.parse_filters(since, actor, resource, until)
    except ValidationFailed as exc:
        fail(exc.message)

    async def work(settings: Settings) -> list[dict[str, Any]]:
        async def read(session: Any) -> list[dict[str, Any]]:
            rows = await query.page(session, tenant, filters, offset=0, limit=limit)
            return [query.entry_dict(row) for row in rows]

        result: list[dict[str, Any]] = await _in_tenant(settings, tenant, read)
        return result

    entries = run(work)
    if json_lines:
        for entry in entries:
            emit(entry)
        return
    table = Table("seq", "at", "actor", "action", "resource", "changed")
    for entry in entries:
        who = entry["actor"]
        table.add_row(
            str(entry["seq"]),
            entry["at"],
            f"{who['credential']}" + (f" (user {who['user_id']})" if who["user_id"] else ""),
            entry["action"],
            f"{entry['resource_type']}:{entry['resource_id']}",
            ", ".join(sorted(entry["changes"])),
        )
    Console(width=200).print(table)


@audit_app.command("verify")
def audit_verify(tenant: TenantOption) -> None:
    """Check the tenant's hash chain; exit 1 naming every entry that does not hold."""

    async def work(settings: Settings) -> tuple[int, list[str]]:
        async def check(session: Any) -> tuple[int, list[str]]:
            count, problems = await verify(session, tenant)
            return count, [str(problem) for problem in problems]

        result: tuple[int, list[str]] = await _in_tenant(settings, tenant, check)
        return result

    count, problems = run(work)
    if problems:
        for problem in problems[1:]:
            typer.echo(f"audit chain broken at {problem}", err=True)
        fail(f"audit chain broken at {problems[0]}")
    emit({"tenant_id": tenant, "entries": count, "verified": True})


@audit_app.command("prune")
def audit_prune(
    tenant: TenantOption,
    older_than_days: Annotated[int, typer.Option(min=0, help="Keep this many days.")],
) -> None:
    """Remove entries older than N days behind a checkpoint entry (the chain still verifies)."""

    async def work(settings: Settings) -> int:
        async def cut(session: Any) -> int:
            return await prune(session, tenant, utcnow() - timedelta(days=older_than_days))

        result: int = await _in_tenant(settings, tenant, cut)
        return result

    emit({"tenant_id": tenant, "pruned": run(work)})
