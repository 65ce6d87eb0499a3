"""Bearer credentials of this face (access tokens, API keys): their format and their hash.

A credential is ``<tenant id>.<43 random URL-safe characters>``. The tenant prefix lets a
request open the right tenant's session (row-level security) before looking the credential
up; a forged prefix only selects a tenant where the hash is not found. Only the SHA-256 of a
credential is stored: they are long random strings, so a fast hash is enough.
"""

from __future__ import annotations

import hashlib
import secrets

__all__ = ["hash_secret", "new_credential", "tenant_of_credential"]


def hash_secret(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def new_credential(tenant_id: int) -> str:
    return f"{tenant_id}.{secrets.token_urlsafe(32)}"


def tenant_of_credential(value: str) -> int | None:
    """The tenant id a credential names, or ``None`` when it is not of this shape."""
    head, sep, rest = value.partition(".")
    if not sep or not rest or not head.isascii() or not head.isdigit() or len(head) > 18:
        return None
    return int(head)
