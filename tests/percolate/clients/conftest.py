"""The client replays share one account set up as the vendor's clients expect it."""

from tests.percolate.clients.site import site

__all__ = ["site"]
