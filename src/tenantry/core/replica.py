"""Reads that may go to a PostgreSQL streaming replica, without reading the past.

The rule: a read goes to the replica only where nobody can be waiting to see their own write
in it (a CSV export running as a job, a bulk copy); everything a client may read right after
its own write (every API request) stays on the primary. Even then, a routed read first waits
until the replica has replayed every commit the primary had made when the read began, so an
export holds every write its requester made before asking for it. If the replica is that far
behind for longer than :data:`CATCH_UP_SECONDS` (down, or lagging badly), the read goes to
the primary instead: lag costs the primary some load, never a stale answer.
"""

from __future__ import annotations

import asyncio
import time
from typing import Final

import structlog
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

CATCH_UP_SECONDS: Final = 5.0
"""The longest a routed read waits for the replica to replay the primary's last commit."""
_POLL_SECONDS: Final = 0.05

_PRIMARY_POSITION = text("SELECT pg_current_wal_lsn()::text")
# NULL when the server is not replaying (not a standby at all): nothing to wait for.
_REPLAYED = text(
    "SELECT COALESCE(pg_last_wal_replay_lsn() >= CAST(CAST(:position AS text) AS pg_lsn),"
    " NOT pg_is_in_recovery())"
)

Sessions = async_sessionmaker[AsyncSession]
log = structlog.get_logger("tenantry.replica")


async def caught_up(
    primary: Sessions, replica: Sessions | None, *, wait: float = CATCH_UP_SECONDS
) -> Sessions:
    """``replica`` once it holds everything committed on ``primary`` so far, else ``primary``
    (also when there is no replica, as on SQLite)."""
    if replica is None or replica is primary:
        return primary
    async with primary() as session:
        position = await session.scalar(_PRIMARY_POSITION)
    deadline = time.monotonic() + wait
    try:
        async with replica() as session:
            while True:
                replayed = await session.scalar(_REPLAYED, {"position": position})
                await session.rollback()  # a fresh snapshot of the replay position each time
                if replayed:
                    return replica
                if time.monotonic() >= deadline:
                    break
                await asyncio.sleep(_POLL_SECONDS)
    except (DBAPIError, OSError) as error:
        log.warning("replica unreachable, reading from the primary", error=str(error)[:200])
        return primary
    log.warning("replica lagging, reading from the primary", behind=position, waited_s=wait)
    return primary
