"""How Percolate writes values on the wire (reference §2.11)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson

__all__ = ["timestamp"]


def timestamp(moment: datetime | None) -> str | None:
    """ISO 8601 at second precision with an explicit offset: ``2016-02-25T15:02:52+00:00``.

    A list page formats a few hundred of these, so the common case (already UTC, as the
    database hands them back) skips the conversion, and orjson writes the text: the same
    characters as ``isoformat(timespec="seconds")`` in a fifth of the time."""
    if moment is None:
        return None
    if moment.tzinfo is not UTC and moment.utcoffset() != _ZERO:
        moment = moment.astimezone(UTC)
    return orjson.dumps(moment, option=_SECONDS)[1:-1].decode()


_ZERO = timedelta(0)
_SECONDS = orjson.OPT_OMIT_MICROSECONDS
