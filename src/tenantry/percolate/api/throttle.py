"""The per-credential rate limit of ``/api/v5`` and ``/api/v3`` (the seed's 429).

The seed declares 429 on every operation and publishes no quota; we count requests per
credential (access token or API key) in a fixed window on the core limiter, before any
database work, and answer over quota with the seed's error body and ``Retry-After``.
Operators (and the benchmarks) set the rule with ``TENANTRY_PERCOLATE_TOKEN_RATE``.
"""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict

from tenantry.core.errors import RateLimited
from tenantry.core.platform import Platform
from tenantry.core.ratelimit import retry_after_headers
from tenantry.percolate.oauth.credentials import hash_secret
from tenantry.settings import RateRule

__all__ = ["TOKEN_RATE", "PercolateLimits", "throttle"]

TOKEN_RATE = "1000/minute"
MESSAGE = "Rate limit exceeded: wait before trying again (see Retry-After)."


class PercolateLimits(BaseSettings):
    """The face's own knobs (``TENANTRY_PERCOLATE_*``)."""

    model_config = SettingsConfigDict(env_prefix="TENANTRY_PERCOLATE_", extra="ignore")

    token_rate: RateRule = TOKEN_RATE


async def throttle(platform: Platform, rule: str, secret: str) -> None:
    """Count one request of the credential ``secret`` (kept only as its hash)."""
    result = await platform.limiter.hit(rule, "percolate-token", hash_secret(secret))
    if not result.allowed:
        raise RateLimited(MESSAGE, headers=retry_after_headers(result))
