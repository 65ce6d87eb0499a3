"""The one id allocator.

Composite primary keys ``(tenant_id, id)`` do not autoincrement on SQLite, so the
application allocates ids: a sequence on PostgreSQL, a counter row on SQLite. Ids are
unique across the whole installation, which keeps them unambiguous in logs and on the wire.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

SEQUENCE_NAME = "tenantry_id_seq"
COUNTER_TABLE = "id_counter"


def allocate_ids(connection: Connection, count: int = 1) -> list[int]:
    """Reserve ``count`` fresh ids in one round trip (sync: runs inside flush events)."""
    if count < 1:
        return []
    if connection.dialect.name == "postgresql":
        rows = connection.execute(
            text(f"SELECT nextval('{SEQUENCE_NAME}') FROM generate_series(1, :n)"), {"n": count}
        )
        return [row[0] for row in rows]
    last = connection.execute(
        text(
            f"UPDATE {COUNTER_TABLE} SET value = value + :n WHERE name = 'global' RETURNING value"
        ),
        {"n": count},
    ).scalar_one()
    return list(range(last - count + 1, last + 1))
