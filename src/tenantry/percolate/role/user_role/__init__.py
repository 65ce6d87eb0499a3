"""Grants of a role to a user in a scope: ``/api/v5/user_role/`` (reference §3.18)."""
