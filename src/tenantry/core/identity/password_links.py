"""Signed links that let one person choose a password once (an invitation, a reset).

The token names the tenant, the user and a fingerprint of the user's current password hash,
signed with the installation's secret and valid for ``max_age`` seconds. Setting a password
changes the hash, so a link works once and every older link dies with it; nothing is stored.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from urllib.parse import urlencode

from itsdangerous import BadSignature, URLSafeTimedSerializer

from tenantry.core.identity.models import User
from tenantry.core.platform import Platform
from tenantry.core.tenancy import tenant_session
from tenantry.settings import Settings

__all__ = ["LinkHolder", "PasswordLink"]


@dataclass(frozen=True)
class LinkHolder:
    """Whom a valid link is for."""

    tenant_id: int
    user_id: int
    email: str
    name: str


def _fingerprint(password_hash: str | None) -> str:
    return hashlib.sha256((password_hash or "-").encode()).hexdigest()[:20]


@dataclass(frozen=True)
class PasswordLink:
    """One kind of link: its signing salt, lifetime and the page it opens."""

    salt: str
    max_age: int
    path: str

    def _serializer(self, settings: Settings) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(settings.effective_secret_key, salt=self.salt)

    def url(self, settings: Settings, user: User) -> str:
        """The link for ``user`` as they are now (their current password hash)."""
        token = self._serializer(settings).dumps(
            {"t": user.tenant_id, "u": user.id, "p": _fingerprint(user.password_hash)}
        )
        return f"{settings.base_url.rstrip('/')}{self.path}?" + urlencode({"token": token})

    def _decode(self, settings: Settings, token: str) -> tuple[int, int, str] | None:
        try:
            data = self._serializer(settings).loads(token, max_age=self.max_age)
        except BadSignature:
            return None
        if not isinstance(data, dict):
            return None
        tenant_id, user_id, print_ = data.get("t"), data.get("u"), data.get("p")
        if not isinstance(tenant_id, int) or not isinstance(user_id, int):
            return None
        return tenant_id, user_id, str(print_)

    async def holder(self, platform: Platform, token: str) -> LinkHolder | None:
        """Whom ``token`` is for, while it is fresh and unused and the user is active."""
        async with self.redeem(platform, token, lock=False) as user:
            if user is None:
                return None
            return LinkHolder(user.tenant_id, user.id, user.email, user.name)

    @asynccontextmanager
    async def redeem(
        self, platform: Platform, token: str, *, lock: bool = True
    ) -> AsyncIterator[User | None]:
        """The user ``token`` is for (``None`` when it is no good), in a tenant session that
        commits what the caller changes; the row is locked, so a link works exactly once."""
        decoded = self._decode(platform.settings, token)
        if decoded is None:
            yield None
            return
        tenant_id, user_id, print_ = decoded
        async with tenant_session(platform.sessions, tenant_id) as session:
            user = await session.get(User, (tenant_id, user_id), with_for_update=lock)
            if user is None or not user.active or _fingerprint(user.password_hash) != print_:
                yield None
            else:
                yield user
