"""Refresh-token rotation that gives exactly one new pair, whatever the database engine.

Reading "is this refresh token still live?" and then issuing lets concurrent refreshes all
pass the read (SQLite has no row locks: 20 parallel refreshes gave 5 to 7 new pairs). Both
faces' stores instead *claim* the old token with one conditional ``UPDATE … WHERE <still
live>`` before issuing: the engine serializes the writes, and only the request whose update
changed a row goes on; the others are told the token was already used.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import InstrumentedAttribute, Session

__all__ = ["claim_once"]


def claim_once(
    session: Session,
    row: Any,
    live_while_null: InstrumentedAttribute[Any],
    values: dict[str, Any],
) -> bool:
    """Set ``values`` on ``row`` only while ``live_while_null`` is still NULL in the database;
    ``True`` when this call made the change (the caller won the rotation)."""
    model = type(row)
    result = session.execute(
        update(model)
        .where(
            model.tenant_id == row.tenant_id,
            model.id == row.id,
            live_while_null.is_(None),
        )
        .values(values)
        .execution_options(synchronize_session=False)
    )
    won = bool(result.rowcount)  # type: ignore[attr-defined]
    if won:
        session.refresh(row)
    return won
