"""``tenantry check``: can this process work with what its settings point at?

One probe per service the settings name (the database and its replica, file storage, SMTP,
Redis), each
answering with one line an operator can act on. Probes use the same code paths as serving
(the engine, ``open_storage``, the SMTP transport, the Redis URL), so a green check means the
server will reach them too. Each has a time limit: a firewalled host fails, it does not hang.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import text

from tenantry.core import migrate
from tenantry.core.db import create_engine, create_replica_engine, ping
from tenantry.core.mail import SmtpTransport
from tenantry.core.storage import open_storage
from tenantry.settings import Settings, mask_url

__all__ = ["PROBE_TIMEOUT", "Probe", "run_checks"]

PROBE_TIMEOUT = 15.0
"""Seconds one probe may take."""


@dataclass(frozen=True)
class Probe:
    """The outcome of one probe: which part, whether it works, and what was seen."""

    part: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'ok' if self.ok else 'FAIL':<5}{self.part:<10}{self.detail}"


async def check_config(settings: Settings) -> str:
    database = "SQLite (embedded)" if settings.is_sqlite else "PostgreSQL"
    return (
        f"settings valid: {database}, log format {settings.log_format}, "
        f"base URL {settings.base_url}"
    )


async def check_database(settings: Settings) -> str:
    engine = create_engine(settings, as_app_role=not settings.is_sqlite)
    try:
        await ping(engine)
        current = await migrate.current_revision(engine)
        head = migrate.head_revision(settings)
    finally:
        await engine.dispose()
    where = mask_url(settings.effective_database_url)
    if current == head:
        return f"{where} at revision {current} (latest)"
    current = current or "none (an empty database)"
    if settings.is_sqlite:
        return f"{where} at revision {current}; `serve` applies the migrations up to {head}"
    raise RuntimeError(f"{where} at revision {current}, not {head}: run `tenantry migrate`")


async def check_replica(settings: Settings) -> str:
    engine = create_replica_engine(settings)
    if engine is None:
        return "not set: every read goes to the primary"
    try:
        async with engine.connect() as connection:
            standby, age = (
                await connection.execute(
                    text(
                        "SELECT pg_is_in_recovery(),"
                        " EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())"
                    )
                )
            ).one()
    finally:
        await engine.dispose()
    where = mask_url(settings.database_replica_url)
    if not standby:
        return f"{where} answers but is not a standby: routed reads see that server as it is"
    if age is None:
        return f"{where}: a standby, no transaction replayed yet"
    return f"{where}: a standby, its last replayed transaction committed {float(age):.1f} s ago"


async def check_storage(settings: Settings) -> str:
    storage = open_storage(settings)
    key = f"tenantry-check/{secrets.token_hex(8)}"
    try:
        await storage.put(key, b"tenantry check", "text/plain")
        if await storage.get(key) != b"tenantry check":
            raise RuntimeError(f"{storage!r} gave back other bytes than it was given")
        await storage.delete(key)
    finally:
        await storage.close()
    return f"{storage!r}: wrote, read and deleted a probe object"


async def check_smtp(settings: Settings) -> str:
    if not settings.smtp_url:
        mail_dir = settings.data_dir.resolve() / "mail"
        return f"not set: mail is written as .eml files under {mail_dir}"
    transport = SmtpTransport(settings.smtp_url)
    await transport.probe(seconds=PROBE_TIMEOUT)
    return f"{mask_url(settings.smtp_url)}: the server greeted and answered NOOP"


async def check_redis(settings: Settings) -> str:
    if not settings.redis_url:
        return "not set: rate limits are counted in this process (one replica)"
    import redis.asyncio

    client = redis.asyncio.Redis.from_url(
        settings.redis_url, socket_connect_timeout=PROBE_TIMEOUT, socket_timeout=PROBE_TIMEOUT
    )
    try:
        await client.ping()
    finally:
        await client.aclose()
    return f"{mask_url(settings.redis_url)}: PING answered"


CHECKS: tuple[tuple[str, Callable[[Settings], Awaitable[str]]], ...] = (
    ("config", check_config),
    ("database", check_database),
    ("replica", check_replica),
    ("storage", check_storage),
    ("smtp", check_smtp),
    ("redis", check_redis),
)


async def run_checks(settings: Settings) -> list[Probe]:
    """Every probe, one after the other (their lines come out in a stable order)."""
    probes = []
    for part, check in CHECKS:
        try:
            detail = await asyncio.wait_for(check(settings), PROBE_TIMEOUT + 5)
        except TimeoutError:
            probes.append(Probe(part, False, f"no answer within {PROBE_TIMEOUT + 5:.0f} s"))
        except Exception as exc:  # every failure is reported as this part's line
            message = str(exc).splitlines()[0][:300] if str(exc) else ""
            probes.append(Probe(part, False, f"{type(exc).__name__}: {message}".rstrip(": ")))
        else:
            probes.append(Probe(part, True, detail))
    return probes
