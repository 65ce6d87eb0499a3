"""Rules every face's OAuth clients share: their secrets and their redirect URIs."""

from __future__ import annotations

import ipaddress
import secrets
from urllib.parse import urlsplit

from tenantry.core.errors import FieldError, ValidationFailed

MAX_REDIRECT_URI = 2000

__all__ = ["MAX_REDIRECT_URI", "new_client_secret", "validate_redirect_uri"]


def new_client_secret() -> str:
    """43 URL-safe characters: no ``:``, so Basic credentials split cleanly on the last one."""
    return secrets.token_urlsafe(32)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def validate_redirect_uri(value: str) -> str:
    """An absolute ``https`` URL (``http`` only on loopback, for local development)."""
    uri = value.strip()
    problem = None
    try:
        parts = urlsplit(uri)
        host = parts.hostname or ""
    except ValueError:
        parts, host = None, ""
    if not uri:
        problem = "A redirect URL is required."
    elif len(uri) > MAX_REDIRECT_URI:
        problem = f"The redirect URL is longer than {MAX_REDIRECT_URI} characters."
    elif parts is None or not host or any(ch.isspace() for ch in uri):
        problem = "The redirect URL must be an absolute URL."
    elif parts.fragment or "#" in uri:
        problem = "The redirect URL must not contain a fragment (#...)."
    elif parts.username or parts.password:
        problem = "The redirect URL must not contain credentials."
    elif not (parts.scheme == "https" or (parts.scheme == "http" and _loopback(host))):
        problem = "The redirect URL must use https (http only for localhost)."
    if problem:
        raise ValidationFailed(problem, [FieldError("redirect_uri", problem, uri)])
    return uri
