"""Password hashing with argon2 (pwdlib); hashes upgrade themselves on the next sign-in."""

from __future__ import annotations

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

_hasher = PasswordHash((Argon2Hasher(),))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> tuple[bool, str | None]:
    """Return (valid, new_hash); ``new_hash`` is set when the stored hash should be upgraded."""
    if not password_hash:
        _hasher.hash(password)  # spend the same time so a missing hash is not observable
        return False, None
    return _hasher.verify_and_update(password, password_hash)
