"""The table of PERSCOM webhooks."""

from __future__ import annotations

from sqlalchemy import JSON, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tenantry.core.base import Base, TenantOwned

__all__ = ["PerscomWebhook"]


class PerscomWebhook(TenantOwned, Base):
    """A receiver of the tenant's events; ``secret`` signs every delivery (the dashboard
    shows it again, so it is kept as given, like Percolate's webhook secrets)."""

    __tablename__ = "perscom_webhooks"

    url: Mapped[str] = mapped_column(String(2048))
    method: Mapped[str] = mapped_column(String(8), default="post")
    secret: Mapped[str] = mapped_column(String(200))
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    description: Mapped[str | None] = mapped_column(Text, default=None)
