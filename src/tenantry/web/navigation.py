"""Where a page may send the browser next: only to a path on this site (no open redirects)."""

from __future__ import annotations

from urllib.parse import urlsplit

DEFAULT_LANDING = "/settings"

__all__ = ["DEFAULT_LANDING", "safe_next"]


def safe_next(candidate: str | None, default: str = DEFAULT_LANDING) -> str:
    """``candidate`` when it is a same-site relative path, else ``default``.

    Refused: absolute URLs, scheme-relative ``//host``, backslashes (browsers read ``/\\host``
    as ``//host``), control characters and anything that parses with a scheme or a host.
    """
    if not candidate or len(candidate) > 2000:
        return default
    if not candidate.startswith("/") or candidate.startswith("//"):
        return default
    if "\\" in candidate or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in candidate):
        return default
    parts = urlsplit(candidate)
    if parts.scheme or parts.netloc:
        return default
    return candidate
