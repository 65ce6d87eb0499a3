"""Fixtures and helpers shared by the Percolate tests (registered in tests/percolate/conftest.py):
``oauth`` (people, clients, the browser dance), ``accounts`` (accounts, users with grants and
tokens), ``desks`` (the app, a licensed account with channels, schemas and posts over HTTP),
``stock`` (one of every content object)."""
