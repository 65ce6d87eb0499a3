"""Rate limiter against both storages: in-process memory and a real Redis.

The Redis leg fails (never skips) when Redis is unreachable: a silently skipped leg would
hide that the scale-out path is untested. Each test gets its own key namespace so parallel
or repeated runs on one Redis never share counters, and its keys are deleted afterwards.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator

import anyio
import pytest
import redis.asyncio

from tenantry.core.ratelimit import (
    RateLimiter,
    RateLimitResult,
    open_rate_limiter,
    retry_after_headers,
)
from tenantry.settings import load_settings

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=["memory", "redis"])
async def limiter(request: pytest.FixtureRequest) -> AsyncIterator[RateLimiter]:
    namespace = f"test-{uuid.uuid4().hex}"
    redis_url = REDIS_URL if request.param == "redis" else ""
    limiter = open_rate_limiter(load_settings(redis_url=redis_url), namespace=namespace)
    assert await limiter.check(), f"{request.param} storage is unreachable ({redis_url})"
    try:
        yield limiter
    finally:
        await limiter.close()
        if request.param == "redis":
            client = redis.asyncio.Redis.from_url(REDIS_URL)
            try:
                keys = [key async for key in client.scan_iter(match=f"*{namespace}*")]
                if keys:
                    await client.delete(*keys)
            finally:
                await client.aclose()


@pytest.mark.anyio
async def test_allowed_until_limit_then_blocked(limiter: RateLimiter) -> None:
    results = [await limiter.hit("3/minute", "client-a") for _ in range(3)]
    assert [r.allowed for r in results] == [True, True, True]
    assert [r.remaining for r in results] == [2, 1, 0]
    assert all(r.limit == 3 and r.retry_after == 0 for r in results)

    blocked = await limiter.hit("3/minute", "client-a")
    assert not blocked.allowed
    assert blocked.limit == 3
    assert blocked.remaining == 0
    assert 1 <= blocked.retry_after <= 60
    assert time.time() < blocked.reset_at <= time.time() + 61


@pytest.mark.anyio
async def test_identifiers_are_independent(limiter: RateLimiter) -> None:
    assert (await limiter.hit("1/minute", "tenant-1", "user-1")).allowed
    assert not (await limiter.hit("1/minute", "tenant-1", "user-1")).allowed

    assert (await limiter.hit("1/minute", "tenant-1", "user-2")).allowed
    assert (await limiter.hit("1/minute", "tenant-2", "user-1")).allowed
    # "/" inside an identifier must not let two different tuples share a key.
    assert (await limiter.hit("1/minute", "tenant-1/user-1")).allowed
    # The same identifiers under another rule are another counter.
    assert (await limiter.hit("2/minute", "tenant-1", "user-1")).allowed


@pytest.mark.anyio
async def test_window_resets(limiter: RateLimiter) -> None:
    assert (await limiter.hit("2/second", "burst")).allowed
    assert (await limiter.hit("2/second", "burst")).allowed
    blocked = await limiter.hit("2/second", "burst")
    assert not blocked.allowed
    assert blocked.retry_after == 1

    await anyio.sleep(1.1)

    again = await limiter.hit("2/second", "burst")
    assert again.allowed
    assert again.remaining == 1


@pytest.mark.anyio
async def test_clear_forgets_the_counter(limiter: RateLimiter) -> None:
    assert (await limiter.hit("1/hour", "locked-out")).allowed
    assert not (await limiter.hit("1/hour", "locked-out")).allowed
    assert (await limiter.hit("1/hour", "bystander")).allowed

    await limiter.clear("1/hour", "locked-out")

    assert (await limiter.hit("1/hour", "locked-out")).allowed
    # Only the cleared counter was reset.
    assert not (await limiter.hit("1/hour", "bystander")).allowed


@pytest.mark.anyio
async def test_namespaces_are_isolated(limiter: RateLimiter) -> None:
    other = RateLimiter(limiter.storage, namespace=f"{limiter.namespace}-other")
    assert (await limiter.hit("1/minute", "x")).allowed
    assert (await other.hit("1/minute", "x")).allowed


@pytest.mark.anyio
async def test_rules_are_parsed_once(limiter: RateLimiter) -> None:
    await limiter.hit("5 per minute", "a")
    first = limiter.rule("5 per minute")
    await limiter.hit("5 per minute", "b")
    assert limiter.rule("5 per minute") is first


@pytest.mark.anyio
async def test_bad_rule_is_a_value_error(limiter: RateLimiter) -> None:
    with pytest.raises(ValueError):
        await limiter.hit("lots/fortnight", "a")


def test_bad_redis_url_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unsupported Redis URL"):
        open_rate_limiter(load_settings(redis_url="memcached://127.0.0.1:11211"))


def test_retry_after_headers() -> None:
    blocked = RateLimitResult(
        allowed=False, limit=10, remaining=0, reset_at=time.time() + 30, retry_after=30
    )
    assert retry_after_headers(blocked) == {
        "Retry-After": "30",
        "X-RateLimit-Limit": "10",
        "X-RateLimit-Remaining": "0",
    }
    allowed = RateLimitResult(
        allowed=True, limit=10, remaining=7, reset_at=time.time() + 30, retry_after=0
    )
    assert retry_after_headers(allowed) == {
        "X-RateLimit-Limit": "10",
        "X-RateLimit-Remaining": "7",
    }
