"""Which scopes a PERSCOM OAuth token gets.

A request without ``scope`` (the Zapier app sends none) gets the client's registered
scopes; a request with ``scope`` gets exactly those, each of which must be a PERSCOM scope
the client may ask for (``*`` on the client allows any). The OpenID scopes ``openid``,
``profile`` and ``email`` are always allowed. See docs/decisions.md.
"""

from __future__ import annotations

from collections.abc import Iterable

from tenantry.perscom.apikeys import SCOPES

OIDC_SCOPES = ("openid", "profile", "email")
KNOWN = frozenset(SCOPES)

__all__ = ["OIDC_SCOPES", "granted_scopes", "has_scope", "split_scopes"]


def split_scopes(text: str | None) -> list[str]:
    """Space-separated (RFC 6749 §3.3); commas are tolerated (PERSCOM's dashboard lists)."""
    if not text:
        return []
    return list(dict.fromkeys(part for part in text.replace(",", " ").split() if part))


def granted_scopes(client_scopes: Iterable[str], requested: str | None) -> list[str] | None:
    """The scopes to grant, or ``None`` when the request asks for one it may not have."""
    allowed = list(client_scopes)
    wanted = split_scopes(requested)
    if not wanted:
        return allowed
    for scope in wanted:
        if scope not in KNOWN:
            return None
        if scope not in OIDC_SCOPES and "*" not in allowed and scope not in allowed:
            return None
    return wanted


def has_scope(scopes: Iterable[str], scope: str) -> bool:
    """Whether ``scopes`` include ``scope`` (``*`` includes every scope)."""
    held = set(scopes)
    return scope in held or "*" in held
