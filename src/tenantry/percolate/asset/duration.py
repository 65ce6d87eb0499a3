"""How long an audio or video file plays, read from its container by mutagen (pure Python:
MP4/QuickTime, MP3, Ogg, FLAC, WAV, ...). Formats mutagen does not read (WebM, AVI) have no
duration: ``ext.duration`` is then absent, as the reference allows ("when known")."""

from __future__ import annotations

import math
from typing import IO

import mutagen

TIMED_TYPES = ("audio", "video")
"""Asset types whose bytes are kept aside during ingest for this probe."""


def duration(source: IO[bytes]) -> float | None:
    """Seconds (millisecond precision), or ``None`` when the container does not say."""
    source.seek(0)
    try:
        found = mutagen.File(source)
    except (mutagen.MutagenError, ValueError, OverflowError, ZeroDivisionError, EOFError):
        return None
    length = getattr(getattr(found, "info", None), "length", None)
    if not isinstance(length, int | float) or not math.isfinite(length) or length <= 0:
        return None
    return round(float(length), 3)
