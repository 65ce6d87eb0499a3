"""How Percolate writes values on the wire (reference §2.11)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

__all__ = ["timestamp"]


def timestamp(moment: datetime | None) -> str | None:
    """ISO 8601 at second precision with an explicit offset: ``2016-02-25T15:02:52+00:00``.

    A list page formats a few hundred of these, so the common case (already UTC, as the
    database hands them back) skips the offset check and the conversion."""
    if moment is None:
        return None
    if moment.tzinfo is not UTC and moment.utcoffset() != _ZERO:
        moment = moment.astimezone(UTC)
    return moment.isoformat(timespec="seconds")


_ZERO = timedelta(0)
