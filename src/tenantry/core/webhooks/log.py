"""Reading the delivery log back (a face lists it per webhook and offers replays)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tenantry.core.tenancy import tenant_of
from tenantry.core.webhooks.model import WebhookDelivery

__all__ = ["MAX_PAGE", "get_delivery", "list_deliveries"]

MAX_PAGE = 1000


async def get_delivery(session: AsyncSession, delivery_id: int) -> WebhookDelivery | None:
    """One attempt of the session's tenant, or None."""
    _require_tenant(session)
    return await session.scalar(select(WebhookDelivery).where(WebhookDelivery.id == delivery_id))


async def list_deliveries(
    session: AsyncSession,
    *,
    subscription_ref: str | None = None,
    job_id: int | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> list[WebhookDelivery]:
    """Attempts of the session's tenant, newest first; page with ``before_id`` (keyset)."""
    _require_tenant(session)
    query = select(WebhookDelivery).order_by(WebhookDelivery.id.desc())
    if subscription_ref is not None:
        query = query.where(WebhookDelivery.subscription_ref == subscription_ref)
    if job_id is not None:
        query = query.where(WebhookDelivery.job_id == job_id)
    if before_id is not None:
        query = query.where(WebhookDelivery.id < before_id)
    query = query.limit(max(1, min(limit, MAX_PAGE)))
    return list((await session.scalars(query)).all())


def _require_tenant(session: AsyncSession) -> None:
    """The log is tenant data: an unscoped session would read every tenant's attempts."""
    if tenant_of(session) is None:
        raise ValueError("the webhook delivery log needs a tenant-scoped session")
