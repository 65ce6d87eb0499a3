"""The browser's session and CSRF cookies: signed, HttpOnly, SameSite=Lax, Secure under https.

The session is stateless (an itsdangerous-signed cookie), which keeps replicas free of shared
memory. It carries only who signed in, to which tenant, and how far: ``password`` means the
password was right but the TOTP step is still owed; ``full`` means signed in. Every request
re-reads the user, so a disabled user or tenant is signed out at once.

A stateless cookie cannot be forgotten by the server, so it carries the user's
``session_version`` at issue; signing out, a new password or sign-in email and any
second-factor change bump the version, and every older cookie (a copied one included) stops
working at once.

CSRF uses the double-submit pattern with a keyed check: a random value lives in its own
HttpOnly cookie and every form carries ``HMAC(key, value)``; a cross-site page can neither
read the cookie nor compute the HMAC.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Literal

from itsdangerous import BadSignature, URLSafeTimedSerializer

from tenantry.core.sealing import derive_key

SESSION_COOKIE = "tenantry_session"
CSRF_COOKIE = "tenantry_csrf"
CSRF_FIELD = "csrf_token"

FULL_SESSION_SECONDS = 12 * 3600
"""A full sign-in lasts a working day."""
PASSWORD_STAGE_SECONDS = 600
"""Between the password and the TOTP code a user has ten minutes."""

Stage = Literal["password", "full"]

__all__ = [
    "CSRF_COOKIE",
    "CSRF_FIELD",
    "FULL_SESSION_SECONDS",
    "SESSION_COOKIE",
    "CsrfGuard",
    "SessionCodec",
    "WebSession",
]


@dataclass(frozen=True)
class WebSession:
    """Who the browser signed in as, in which tenant, and whether the second factor is done."""

    tenant_id: int
    user_id: int
    stage: Stage
    version: int = 0
    """The user's ``session_version`` when the session was issued."""


class SessionCodec:
    """Signs and checks the session cookie; a cookie older than its stage allows is ignored."""

    def __init__(self, server_key: str) -> None:
        self._serializer = URLSafeTimedSerializer(server_key, salt="tenantry.web.session")

    def dumps(self, session: WebSession) -> str:
        return self._serializer.dumps(
            [session.tenant_id, session.user_id, session.stage, session.version]
        )

    def loads(self, value: str | None) -> WebSession | None:
        if not value:
            return None
        try:
            payload = self._serializer.loads(value, max_age=FULL_SESSION_SECONDS)
        except BadSignature:
            return None
        if not (isinstance(payload, list) and len(payload) == 4):
            return None
        tenant_id, user_id, stage, version = payload
        if not all(type(part) is int for part in (tenant_id, user_id, version)):
            return None
        if stage == "password":
            try:  # the password stage expires much sooner than a full session
                self._serializer.loads(value, max_age=PASSWORD_STAGE_SECONDS)
            except BadSignature:
                return None
            return WebSession(tenant_id, user_id, "password", version)
        if stage == "full":
            return WebSession(tenant_id, user_id, "full", version)
        return None


class CsrfGuard:
    """Issues the random cookie value and checks the form token derived from it."""

    def __init__(self, server_key: str) -> None:
        self._key = derive_key(server_key, "tenantry.web.csrf")

    @staticmethod
    def new_cookie_value() -> str:
        return secrets.token_urlsafe(32)

    def token_for(self, cookie_value: str) -> str:
        return hmac.new(self._key, cookie_value.encode(), hashlib.sha256).hexdigest()

    def check(self, cookie_value: str | None, token: object) -> bool:
        if not cookie_value or not isinstance(token, str):
            return False
        return hmac.compare_digest(self.token_for(cookie_value), token)
