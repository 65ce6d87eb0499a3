"""How Percolate writes values on the wire (reference §2.11)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

__all__ = ["timestamp"]


def timestamp(moment: datetime | None) -> str | None:
    """ISO 8601 at second precision with an explicit offset: ``2016-02-25T15:02:52+00:00``.

    A list page formats a few hundred of these, so the common case (already UTC, as the
    database hands them back) skips the conversion and formats with one f-string."""
    if moment is None:
        return None
    if moment.utcoffset() != _ZERO:
        moment = moment.astimezone(UTC)
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T"
        f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}+00:00"
    )


_ZERO = timedelta(0)
