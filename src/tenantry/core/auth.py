"""Who is calling: one ``Principal`` for every face, and the one permission check."""

from __future__ import annotations

from dataclasses import dataclass, field

from tenantry.core.errors import Forbidden


@dataclass(frozen=True)
class Credential:
    """What the caller presented: its kind (``api_key``, ``oauth_token``, ``session``) and id."""

    kind: str
    id: int | str | None = None


@dataclass(frozen=True)
class Principal:
    """An authenticated caller inside one tenant."""

    tenant_id: int
    user_id: int | None
    permissions: frozenset[str] = field(default_factory=frozenset)
    credential: Credential = field(default_factory=lambda: Credential("anonymous"))

    def can(self, permission: str) -> bool:
        return permission in self.permissions or "*" in self.permissions


def require(principal: Principal, permission: str, message: str | None = None) -> None:
    """Raise :class:`Forbidden` unless ``principal`` holds ``permission``."""
    if not principal.can(permission):
        raise Forbidden(message or f"This action needs the {permission!r} permission.")
