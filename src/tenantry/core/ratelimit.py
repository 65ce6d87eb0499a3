"""Rate limits on the ``limits`` library: in-process memory embedded, Redis at scale.

Strategy: **fixed window** (``limits.aio.strategies.FixedWindowRateLimiter`` semantics).
Each (rule, identifiers) pair is one counter with a TTL: one atomic ``INCR``+``EXPIRE``
script on Redis and O(1) memory whatever the limit. A moving window stores one timestamp
per hit (a 1000/hour rule keeps up to 1000 list entries per client) and costs more on the
request path; what it buys — no burst of up to 2x the limit across a window boundary — is
not worth that for abuse protection. A window starts at a key's first hit, so ``reset_at``
is simply the key's expiry.

``hit`` calls the storage's ``incr`` itself rather than ``FixedWindowRateLimiter.hit`` followed
by ``get_window_stats``: that pair is two more Redis round trips and can report a
``remaining`` that belongs to someone else's hit. The comparison is the strategy's own
(``count <= amount``), so the behaviour is identical.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.storage.redis.redispy import RedispyBridge
from limits.aio.strategies import FixedWindowRateLimiter

from tenantry.settings import mask_url

if TYPE_CHECKING:
    import redis.asyncio

    from tenantry.settings import Settings

__all__ = [
    "RateLimitResult",
    "RateLimiter",
    "open_rate_limiter",
    "redis_storage_uri",
    "retry_after_headers",
]

DEFAULT_NAMESPACE = "tenantry"

# Settings hold a plain redis:// URL (shared with caches); ``limits`` wants its async schemes.
_REDIS_SCHEMES = {
    "redis": "async+redis",
    "rediss": "async+rediss",
    "unix": "async+redis+unix",
    "redis+unix": "async+redis+unix",
    "async+redis": "async+redis",
    "async+rediss": "async+rediss",
    "async+redis+unix": "async+redis+unix",
}


@dataclass(frozen=True, slots=True)
class RateLimitResult:
    """The outcome of one hit: enough to answer, and to fill the ``X-RateLimit-*`` headers."""

    allowed: bool
    limit: int
    remaining: int
    reset_at: float
    """Unix time at which the current window ends and the counter starts again."""
    retry_after: int
    """Whole seconds to wait before retrying; 0 when allowed, at least 1 when blocked."""


def retry_after_headers(result: RateLimitResult) -> dict[str, str]:
    """HTTP headers for ``result``; ``Retry-After`` only when the hit was blocked.

    Lives here rather than with the HTTP error so the core exception stays header-agnostic.
    """
    headers = {
        "X-RateLimit-Limit": str(result.limit),
        "X-RateLimit-Remaining": str(result.remaining),
    }
    if not result.allowed:
        headers["Retry-After"] = str(max(1, result.retry_after))
    return headers


def _escape(identifier: str) -> str:
    """Escape ``/``: ``limits`` joins identifiers with it, so ``a/b,c`` would equal ``a,b/c``."""
    return identifier.replace("%", "%25").replace("/", "%2F")


def redis_storage_uri(url: str) -> str:
    """The ``limits`` storage URI for a plain Redis URL; ``ValueError`` for other schemes."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() not in _REDIS_SCHEMES:
        raise ValueError(
            f"unsupported Redis URL {mask_url(url)!r}; use redis://, rediss:// or unix://"
        )
    return f"{_REDIS_SCHEMES[scheme.lower()]}://{rest}"


class RateLimiter:
    """Counts hits per (rule, identifiers) in one storage; rules are parsed once and cached."""

    def __init__(self, storage: Storage, *, namespace: str = DEFAULT_NAMESPACE) -> None:
        self.storage = storage
        self.namespace = namespace
        self._strategy = FixedWindowRateLimiter(storage)
        self._rules: dict[str, RateLimitItem] = {}

    def __repr__(self) -> str:
        return f"RateLimiter({type(self.storage).__name__}, namespace={self.namespace!r})"

    def rule(self, rule: str) -> RateLimitItem:
        """The parsed ``rule`` (e.g. ``"100/minute"``); ``ValueError`` when it does not parse."""
        item = self._rules.get(rule)
        if item is None:
            item = parse(rule)
            self._rules[rule] = item
        return item

    def _parts(self, identifiers: tuple[str, ...]) -> tuple[str, ...]:
        return (_escape(self.namespace), *(_escape(i) for i in identifiers))

    async def hit(self, rule: str, *identifiers: str) -> RateLimitResult:
        """Count one hit against ``rule`` for ``identifiers`` and say whether it is allowed.

        Blocked hits still count (as in ``limits``), so hammering does not shorten the wait.
        """
        item = self.rule(rule)
        key = item.key_for(*self._parts(identifiers))
        count = await self.storage.incr(key, item.get_expiry())
        reset_at = await self.storage.get_expiry(key)
        allowed = count <= item.amount
        wait = max(0, math.ceil(reset_at - time.time()))
        return RateLimitResult(
            allowed=allowed,
            limit=item.amount,
            remaining=max(0, item.amount - count),
            reset_at=reset_at,
            retry_after=0 if allowed else max(1, wait),
        )

    async def clear(self, rule: str, *identifiers: str) -> None:
        """Forget the counter for ``rule`` and ``identifiers`` (admin unlock, tests)."""
        await self._strategy.clear(self.rule(rule), *self._parts(identifiers))

    async def check(self) -> bool:
        """Whether the storage answers (for readiness probes); never raises."""
        try:
            return await self.storage.check()
        except Exception:
            return False

    async def close(self) -> None:
        """Release the storage: Redis connections, or the memory store's expiry task."""
        if isinstance(self.storage, RedisStorage):
            bridge = self.storage.bridge
            if isinstance(bridge, RedispyBridge):  # what open_rate_limiter picks
                # Made by Redis.from_url, so the client owns (and closes) its pool.
                client = cast("redis.asyncio.Redis", bridge.get_connection())
                await client.aclose()
        elif isinstance(self.storage, MemoryStorage):
            timer = self.storage.timer
            if timer is not None and not timer.done():
                timer.cancel()
            await self.storage.reset()


def open_rate_limiter(settings: Settings, *, namespace: str = DEFAULT_NAMESPACE) -> RateLimiter:
    """Memory storage when ``redis_url`` is empty (one process), Redis when set (replicas).

    ``namespace`` prefixes every key, so separate deployments or test runs sharing one
    Redis never see each other's counters.
    """
    storage: Storage
    if settings.redis_url:
        uri = redis_storage_uri(settings.redis_url)
        # redis-py, not coredis: redis is already a pinned dependency; coredis is not installed.
        storage = RedisStorage(uri, implementation="redispy")
    else:
        storage = MemoryStorage()
    return RateLimiter(storage, namespace=namespace)
