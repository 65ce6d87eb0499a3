"""Client credentials in HTTP Basic, read leniently enough for real clients."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import unquote

from tenantry.core.oauth.request import OAuthRequest

__all__ = ["authenticate_basic", "client_id_from_request", "parse_basic_credentials"]


def parse_basic_credentials(header: str | None) -> tuple[str, str] | None:
    """``(client_id, secret)`` from ``Basic base64(id:secret)``, split on the last colon.

    Client ids may contain a colon (Percolate's ``client:4``), so splitting on the first
    one (RFC 7617) would read ``client:4:s3cret`` as user ``client``. Padding is optional;
    a URL-safe alphabet is tolerated; values may be form-encoded (RFC 6749 §2.3.1).
    """
    if not header:
        return None
    scheme, _, encoded = header.strip().partition(" ")
    encoded = encoded.strip()
    if scheme.lower() != "basic" or not encoded or len(encoded) > 4096:
        return None
    padded = encoded + "=" * (-len(encoded) % 4)
    try:
        if "-" in padded or "_" in padded:
            raw = base64.urlsafe_b64decode(padded)
        else:
            raw = base64.b64decode(padded, validate=True)
        text = raw.decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    client_id, sep, secret = text.rpartition(":")
    if not sep or not client_id or not secret:
        return None
    return unquote(client_id), unquote(secret)


def client_id_from_request(headers: Mapping[str, str], data: Mapping[str, str]) -> str | None:
    """The client id the caller claims: from Basic credentials, else from the body."""
    credentials = parse_basic_credentials(headers.get("authorization"))
    if credentials is not None:
        return credentials[0]
    value = data.get("client_id")
    return value if isinstance(value, str) else None


def authenticate_basic(query_client: Callable[[str], Any], request: OAuthRequest) -> Any:
    """Authlib's ``client_secret_basic`` with :func:`parse_basic_credentials`."""
    credentials = parse_basic_credentials(request.headers.get("authorization"))
    if credentials is None:
        return None
    client = query_client(credentials[0])
    if client is not None and client.check_client_secret(credentials[1]):
        return client
    return None
