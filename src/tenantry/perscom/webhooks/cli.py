"""``tenantry perscom webhook create|list|delete|test|deliveries|replay``.

Each command prints JSON objects, one per line. ``create`` checks the URL with the same SSRF
guard as the API (private addresses need ``TENANTRY_ALLOW_PRIVATE_WEBHOOKS``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Annotated, Any, TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tenantry.core.console import emit, run, with_sessions
from tenantry.settings import Settings

__all__ = ["IdOption", "TenantOption", "in_tenant", "webhook_app"]

webhook_app = typer.Typer(help="Manage a tenant's PERSCOM webhooks.", no_args_is_help=True)
T = TypeVar("T")

TenantOption = Annotated[int, typer.Option("--tenant", help="Tenant id (the PERSCOM ID).")]
IdOption = Annotated[int, typer.Option("--id", help="The webhook's id (from `list`).")]


def in_tenant(
    tenant_id: int, work: Callable[[AsyncSession, Settings], Awaitable[T]]
) -> Callable[[Settings], Coroutine[Any, Any, T]]:
    """Run ``work`` in one tenant transaction (the tenant must exist)."""

    async def outer(settings: Settings) -> T:
        async def inner(sessions: async_sessionmaker[AsyncSession]) -> T:
            from tenantry.core.identity import service as identity
            from tenantry.core.tenancy import tenant_session

            async with sessions() as session:
                await identity.get_tenant(session, tenant_id)
            async with tenant_session(sessions, tenant_id) as session:
                return await work(session, settings)

        return await with_sessions(settings, inner)

    return outer


@webhook_app.command("create")
def create(
    tenant: TenantOption,
    url: Annotated[str, typer.Option(help="Where deliveries go (http or https).")],
    events: Annotated[str, typer.Option(help='Comma-separated, e.g. "user.created,user.updated".')],
    method: Annotated[str, typer.Option(help="get or post.")] = "post",
    secret: Annotated[str | None, typer.Option(help="Signing secret (default: generated).")] = None,
    description: Annotated[str | None, typer.Option(help="A note for people.")] = None,
) -> None:
    """Register a webhook; prints it, with its secret."""
    from tenantry.perscom.webhooks import service

    fields: dict[str, Any] = {
        "url": url,
        "events": [e.strip() for e in events.split(",") if e.strip()],
        "method": method,
        "description": description,
    }
    if secret is not None:
        fields["secret"] = secret

    async def work(session: AsyncSession, settings: Settings) -> dict[str, Any]:
        hook = await service.create_webhook(
            session, fields, allow_private=settings.allow_private_webhooks
        )
        return service.describe(hook)

    emit(run(in_tenant(tenant, work)))


@webhook_app.command("list")
def list_(tenant: TenantOption) -> None:
    """The tenant's webhooks, one per line."""
    from tenantry.perscom.webhooks import service

    async def work(session: AsyncSession, settings: Settings) -> list[dict[str, Any]]:
        return [service.describe(hook) for hook in await service.list_webhooks(session)]

    for hook in run(in_tenant(tenant, work)):
        emit(hook)


@webhook_app.command("delete")
def delete(tenant: TenantOption, webhook: IdOption) -> None:
    """Delete a webhook; prints what was deleted."""
    from tenantry.perscom.webhooks import service

    async def work(session: AsyncSession, settings: Settings) -> dict[str, Any]:
        return service.describe(await service.delete_webhook(session, webhook))

    emit(run(in_tenant(tenant, work)))


@webhook_app.command("test")
def test(tenant: TenantOption, webhook: IdOption) -> None:
    """Queue a ``webhook.test`` delivery; prints ``{"delivery_id"}`` (a worker sends it)."""
    from tenantry.perscom.webhooks import service

    async def work(session: AsyncSession, settings: Settings) -> dict[str, Any]:
        return {"delivery_id": await service.send_test(session, webhook)}

    emit(run(in_tenant(tenant, work)))


@webhook_app.command("deliveries")
def deliveries(
    tenant: TenantOption,
    webhook: IdOption,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
) -> None:
    """The webhook's delivery attempts from the delivery log, newest first."""
    from tenantry.perscom.webhooks import service

    async def work(session: AsyncSession, settings: Settings) -> list[dict[str, Any]]:
        rows = await service.deliveries(session, webhook, limit=limit)
        return [service.describe_delivery(row) for row in rows]

    for row in run(in_tenant(tenant, work)):
        emit(row)


@webhook_app.command("replay")
def replay(
    tenant: TenantOption,
    webhook: IdOption,
    attempt: Annotated[int, typer.Option("--attempt", help="An attempt id (`deliveries`).")],
) -> None:
    """Send a logged request again as a new delivery; prints ``{"delivery_id"}``."""
    from tenantry.perscom.webhooks import service

    async def work(session: AsyncSession, settings: Settings) -> dict[str, Any]:
        return {"delivery_id": await service.replay_delivery(session, webhook, attempt)}

    emit(run(in_tenant(tenant, work)))
