"""How Percolate writes values on the wire (reference §2.11)."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["timestamp"]


def timestamp(moment: datetime | None) -> str | None:
    """ISO 8601 at second precision with an explicit offset: ``2016-02-25T15:02:52+00:00``."""
    if moment is None:
        return None
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()
