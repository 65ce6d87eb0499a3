"""The PERSCOM face's own knobs (``TENANTRY_PERSCOM_*``): its rate limits (§5.3), its API log.

Kept apart from the gate that uses them so every command can validate them at start without
importing the web stack.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from tenantry.settings import RateRule

__all__ = ["IP_RATE", "KEY_RATE", "PerscomSettings"]

KEY_RATE = "1000/minute"
IP_RATE = "100/minute"


class PerscomSettings(BaseSettings):
    """Benchmarks lift the rate limits (one key sends far more than 1000 requests a minute)."""

    model_config = SettingsConfigDict(env_prefix="TENANTRY_PERSCOM_", extra="ignore")

    key_rate: RateRule = KEY_RATE
    ip_rate: RateRule = IP_RATE
    api_log: bool = True
    """Whether each API exchange is stored as ``api`` activity (``/v1/activity``)."""
    activity_retention_days: int = Field(default=30, ge=1, le=3650)
    """How long the API log is kept; a daily job per tenant prunes what is older."""
