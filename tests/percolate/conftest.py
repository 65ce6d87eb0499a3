"""Fixtures of every Percolate test (and of tests/web, which reuses them): their code lives
in tests/percolate/support/ and is registered here."""

from tests.percolate.support.accounts import account, admin, make_account
from tests.percolate.support.desks import api, content_app, desk, make_desk
from tests.percolate.support.oauth import http, live_server, people, percolate_app

__all__ = [
    "account",
    "admin",
    "api",
    "content_app",
    "desk",
    "http",
    "live_server",
    "make_account",
    "make_desk",
    "people",
    "percolate_app",
]
