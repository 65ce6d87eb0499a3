"""Fixtures of the Percolate tests live in support.py (shared with tests/web)."""

from tests.percolate.support import http, live_server, people, percolate_app

__all__ = ["http", "live_server", "people", "percolate_app"]
