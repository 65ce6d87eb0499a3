"""Encrypting secrets we must be able to show again, with a key derived from the server key.

Passwords, tokens and recovery codes are hashed: nobody ever needs them back. Two secrets are
different: an OAuth client secret ("Show secret" reveals it) and a TOTP seed (the server must
compute codes from it). Those are sealed with Fernet (AES-128-CBC + HMAC-SHA256), each purpose
with its own key derived from ``settings.effective_secret_key`` by HKDF, so one purpose's
ciphertext can never be opened as another's.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = ["SealBroken", "SecretBox", "derive_key"]


class SealBroken(RuntimeError):
    """A sealed value could not be opened: the server key changed or the data was altered."""


def derive_key(server_key: str, purpose: str, length: int = 32) -> bytes:
    """``length`` bytes for ``purpose``, derived from the server key (HKDF-SHA256)."""
    return HKDF(
        algorithm=hashes.SHA256(),
        length=length,
        salt=b"tenantry",
        info=purpose.encode(),
    ).derive(server_key.encode())


class SecretBox:
    """Seal and open short secrets for one purpose."""

    def __init__(self, server_key: str, purpose: str) -> None:
        self._fernet = Fernet(base64.urlsafe_b64encode(derive_key(server_key, purpose)))

    def seal(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode("ascii")

    def open(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode("ascii")).decode()
        except InvalidToken as exc:
            raise SealBroken("sealed secret cannot be opened with the current server key") from exc
