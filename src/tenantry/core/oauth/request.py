"""Authlib's request object, built from a Starlette request the endpoint already read.

Starlette reads bodies asynchronously and Authlib runs synchronously, so an endpoint reads
and parses first; these objects only carry the result.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from authlib.oauth2.rfc6749 import OAuth2Payload, OAuth2Request
from authlib.oauth2.rfc6749.errors import InvalidRequestError
from fastapi import Request

from tenantry.settings import Settings

__all__ = ["OAuthRequest", "flatten", "oauth_uri"]

_URI_TEXT = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]{1,2048}")
"""The characters RFC 3986 lets a URI hold (no spaces, quotes, backslashes or controls)."""


class _Payload(OAuth2Payload):  # type: ignore[misc]
    def __init__(self, data: dict[str, str], datalist: dict[str, list[str]]) -> None:
        self._data = data
        self._datalist = datalist

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> dict[str, list[str]]:
        return self._datalist


class OAuthRequest(OAuth2Request):  # type: ignore[misc]
    """An already-parsed request (query string or body) in Authlib's terms."""

    def __init__(
        self,
        method: str,
        uri: str,
        headers: Mapping[str, str],
        data: dict[str, str],
        datalist: dict[str, list[str]],
    ) -> None:
        redirect_uri = data.get("redirect_uri")
        if redirect_uri is not None and not _URI_TEXT.fullmatch(redirect_uri):
            # A redirect_uri is echoed into Location headers and pages: refuse anything
            # a URI cannot hold (RFC 3986) rather than let it break the response.
            raise InvalidRequestError("The redirect_uri is not a valid URI.")
        super().__init__(method, uri, headers=headers)
        self.payload = _Payload(data, datalist)

    @property
    def args(self) -> dict[str, str]:
        return self.payload.data

    @property
    def form(self) -> dict[str, str]:
        return self.payload.data


def flatten(pairs: list[tuple[str, str]]) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The first value of each key, and every value of each key."""
    data: dict[str, str] = {}
    datalist: dict[str, list[str]] = {}
    for key, value in pairs:
        data.setdefault(key, value)
        datalist.setdefault(key, []).append(value)
    return data, datalist


def oauth_uri(settings: Settings, request: Request) -> str:
    """The request's URI on the public origin (``base_url``): Authlib refuses plain http
    except on loopback, and behind a TLS-terminating proxy the socket's scheme is not it."""
    query = request.url.query
    return settings.base_url.rstrip("/") + request.url.path + (f"?{query}" if query else "")
