"""The OAuth page tests reuse the Percolate fixtures (see tests/percolate/support.py)."""

from tests.percolate.support import http, live_server, people, percolate_app

__all__ = ["http", "live_server", "people", "percolate_app"]
