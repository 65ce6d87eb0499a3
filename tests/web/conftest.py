"""The OAuth page tests reuse the Percolate fixtures (see tests/percolate/support/oauth.py)."""

from tests.percolate.support.oauth import http, live_server, people, percolate_app

__all__ = ["http", "live_server", "people", "percolate_app"]
