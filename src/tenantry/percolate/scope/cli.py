"""``tenantry scope create`` (DESIGN.md §6): a license group, license or brand of an account.

Prints one JSON object, the scope as ``GET /api/v5/scope/{id}`` shows it.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tenantry.core.console import emit, run, with_sessions
from tenantry.settings import Settings

scope_app = typer.Typer(help="Manage license groups, licenses and brands.", no_args_is_help=True)

__all__ = ["create_scope", "scope_app"]


async def create_scope(
    sessions: async_sessionmaker[AsyncSession],
    *,
    tenant_id: int,
    kind: str,
    name: str,
    parent: str | None = None,
) -> dict[str, Any]:
    """Add a scope to ``tenant_id`` (under ``parent``, a scope id, or the account)."""
    from tenantry.core.identity import service as identity
    from tenantry.core.tenancy import tenant_session
    from tenantry.percolate.scope.service import add_scope

    async with sessions() as session:
        await identity.get_tenant(session, tenant_id)
    async with tenant_session(sessions, tenant_id) as session:
        scope = await add_scope(session, tenant_id, kind=kind, name=name, parent=parent)
        parent_wire = f"account:{tenant_id}"
        if scope.parent_id is not None and parent is not None:
            parent_wire = parent
        return {
            "id": f"{scope.kind}:{scope.id}",
            "type": scope.kind,
            "name": scope.name,
            "parent_id": parent_wire,
            "account_id": f"account:{tenant_id}",
        }


@scope_app.command("create")
def scope_create(
    tenant: Annotated[int, typer.Option(help="Tenant (account) id.")],
    type_: Annotated[
        str, typer.Option("--type", help="license, license_group or brand.", show_default=False)
    ],
    name: Annotated[str, typer.Option(help="The scope's name.")],
    parent: Annotated[
        str | None, typer.Option(help="Parent scope id, e.g. license_group:3 (default: account).")
    ] = None,
) -> None:
    """Create a license group, license or brand; prints {"id": "license:7", ...}."""

    async def work(settings: Settings) -> dict[str, Any]:
        return await with_sessions(
            settings,
            lambda sessions: create_scope(
                sessions, tenant_id=tenant, kind=type_, name=name, parent=parent
            ),
        )

    emit(run(work))
