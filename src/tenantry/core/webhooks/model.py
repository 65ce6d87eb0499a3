"""The delivery log: one row per attempt to deliver a webhook, owned by the tenant.

A delivery is one job (``job_id``); each time a worker tries it, a row is written *before*
the request goes out (``pending``) and completed with what came back. A worker that dies
mid-request leaves its row ``pending``; the next attempt marks it ``interrupted``. So the
log shows every attempt, including the ones a crash cut short.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tenantry.core.base import Base, TenantOwned

__all__ = ["AttemptOutcome", "WebhookDelivery"]


class AttemptOutcome(StrEnum):
    PENDING = "pending"
    """Being attempted now (or the worker died: see ``interrupted``)."""
    SUCCESS = "success"
    """The endpoint answered 2xx."""
    RETRY = "retry"
    """Failed; the job will try again after a backoff."""
    FAILURE = "failure"
    """Failed on the last attempt: the delivery is over."""
    REFUSED = "refused"
    """The destination failed the SSRF check at delivery time; never retried."""
    INTERRUPTED = "interrupted"
    """The worker stopped before the attempt finished (found by the next attempt)."""

    @property
    def is_final(self) -> bool:
        return self in {AttemptOutcome.SUCCESS, AttemptOutcome.FAILURE, AttemptOutcome.REFUSED}


_OUTCOMES = ", ".join(f"'{outcome.value}'" for outcome in AttemptOutcome)


class WebhookDelivery(TenantOwned, Base):
    """One attempt: what was sent where, what came back, how long it took."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        CheckConstraint(f"outcome IN ({_OUTCOMES})", name="outcome"),
        # A subscription's log, newest first (the API lists it by webhook or post webhook).
        Index("ix_webhook_deliveries_subscription", "tenant_id", "subscription_ref", "id"),
        # The attempts of one delivery (the next attempt looks for interrupted ones).
        Index("ix_webhook_deliveries_job", "tenant_id", "job_id"),
    )

    job_id: Mapped[int] = mapped_column(BigInteger)
    """The delivery this attempt belongs to; sent as ``X-Tenantry-Delivery``. Not a foreign
    key: finished jobs are purged, the log stays."""
    subscription_ref: Mapped[str] = mapped_column(String(200))
    """Whose delivery this is, as the face names it (``postwebhook:12_7``, ``webhook:3``)."""
    event: Mapped[str] = mapped_column(String(100))
    url: Mapped[str] = mapped_column(String(2048))
    request_body: Mapped[str] = mapped_column(Text)
    attempt: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(20), default=AttemptOutcome.PENDING.value)
    response_status: Mapped[int | None] = mapped_column(Integer, default=None)
    response_body: Mapped[str | None] = mapped_column(Text, default=None)
    """The first few KiB of the answer, for debugging a receiver."""
    error: Mapped[str | None] = mapped_column(Text, default=None)
    duration_ms: Mapped[int | None] = mapped_column(Integer, default=None)
    address: Mapped[str | None] = mapped_column(String(64), default=None)
    """The IP address the attempt connected to (after the SSRF check)."""
    replay_of: Mapped[int | None] = mapped_column(BigInteger, default=None)
    """The attempt whose request this delivery re-sends, for a replay."""
