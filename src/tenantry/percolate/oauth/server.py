"""Authlib's RFC 6749 authorization server behind a small adapter, with Percolate's rules.

Authlib validates the grants; this module only supplies storage (:class:`OAuthStore`),
request objects built from already-read Starlette requests, and the few places Percolate
differs from the RFC defaults:

- ``state`` is required on the authorization endpoint;
- the client id is typed (``client:123``) and so contains a colon: HTTP Basic credentials
  are split on the *last* colon, with or without Base64 padding, id with or without prefix;
- refresh tokens rotate, and a refresh is allowed up to 14 days after the token expired;
- a reused code is refused and revokes the tokens it produced.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

from authlib.oauth2.rfc6749 import AuthorizationServer, OAuth2Payload, OAuth2Request
from authlib.oauth2.rfc6749.errors import InvalidRequestError
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant, RefreshTokenGrant
from starlette.responses import Response

from tenantry.percolate.oauth.store import (
    ClientRef,
    CodeRef,
    OAuthStore,
    TokenRef,
    UserRef,
    new_token_values,
)

TOKEN_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

__all__ = [
    "OAuthRequest",
    "PercolateAuthorizationServer",
    "client_id_from_request",
    "parse_basic_credentials",
]


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
    """An already-parsed request (query string or body) in Authlib's terms.

    Starlette reads bodies asynchronously and Authlib runs synchronously, so the endpoint
    reads and parses first; this object only carries the result.
    """

    def __init__(
        self,
        method: str,
        uri: str,
        headers: Mapping[str, str],
        data: dict[str, str],
        datalist: dict[str, list[str]],
    ) -> None:
        super().__init__(method, uri, headers=headers)
        self.payload = _Payload(data, datalist)

    @property
    def args(self) -> dict[str, str]:
        return self.payload.data

    @property
    def form(self) -> dict[str, str]:
        return self.payload.data


def parse_basic_credentials(header: str | None) -> tuple[str, str] | None:
    """``(client_id, secret)`` from ``Basic base64(id:secret)``, split on the last colon.

    Typed client ids contain a colon, so splitting on the first one (RFC 7617) would read
    ``client:4:s3cret`` as user ``client``. Padding is optional (Percolate's own example
    omits it); a URL-safe alphabet is tolerated; values may be form-encoded (RFC 6749
    §2.3.1).
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


def _authenticate_basic(query_client: Any, request: OAuthRequest) -> ClientRef | None:
    credentials = parse_basic_credentials(request.headers.get("authorization"))
    if credentials is None:
        return None
    client = query_client(credentials[0])
    if client is not None and client.check_client_secret(credentials[1]):
        return client  # type: ignore[no-any-return]
    return None


class CodeGrant(AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = TOKEN_AUTH_METHODS
    server: PercolateAuthorizationServer

    def validate_authorization_request(self) -> str:
        redirect_uri: str = super().validate_authorization_request()
        if not self.request.payload.state:
            raise InvalidRequestError(
                "The 'state' parameter is required.", redirect_uri=redirect_uri
            )
        return redirect_uri

    def save_authorization_code(self, code: str, request: OAuthRequest) -> None:
        self.server.store.save_code(
            code, request.client, request.user, request.payload.redirect_uri
        )

    def query_authorization_code(self, code: str, client: ClientRef) -> CodeRef | None:
        return self.server.store.take_code(code, client)

    def delete_authorization_code(self, authorization_code: CodeRef) -> None:
        """Nothing to do: :meth:`OAuthStore.take_code` already marked it used."""

    def authenticate_user(self, authorization_code: CodeRef) -> UserRef | None:
        return self.server.store.user(authorization_code.row.user_id)


class RefreshGrant(RefreshTokenGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = TOKEN_AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True
    server: PercolateAuthorizationServer

    def authenticate_refresh_token(self, refresh_token: str) -> TokenRef | None:
        return self.server.store.refreshable(refresh_token, self.request.client)

    def authenticate_user(self, refresh_token: TokenRef) -> UserRef | None:
        return self.server.store.user(refresh_token.row.user_id)

    def revoke_old_credential(self, refresh_token: TokenRef) -> None:
        """Nothing to do: issuing the new token disabled the old one (one live token)."""


class PercolateAuthorizationServer(AuthorizationServer):  # type: ignore[misc]
    """One per request, bound to the request's tenant-scoped synchronous session."""

    def __init__(self, store: OAuthStore) -> None:
        super().__init__()
        self.store = store
        self.register_token_generator("default", self._generate_token)
        self.register_client_auth_method("client_secret_basic", _authenticate_basic)
        self.register_grant(CodeGrant)
        self.register_grant(RefreshGrant)

    @staticmethod
    def _generate_token(client: ClientRef, **_: Any) -> dict[str, Any]:
        return new_token_values(client.tenant_id)

    def query_client(self, client_id: str) -> ClientRef | None:
        return self.store.client(client_id)

    def save_token(self, token: dict[str, Any], request: OAuthRequest) -> None:
        code: CodeRef | None = request.authorization_code
        refreshed: TokenRef | None = request.refresh_token
        origin: int | None = None
        if code is not None:
            origin = code.row.id
        elif refreshed is not None:
            origin = refreshed.row.origin_code_id
        self.store.record(
            token,
            client=request.client,
            user=request.user,
            origin_code_id=origin,
            replaces=refreshed.row if refreshed is not None else None,
        )

    def create_oauth2_request(self, request: object) -> OAuthRequest:
        if not isinstance(request, OAuthRequest):
            raise TypeError("build an OAuthRequest from the Starlette request first")
        return request

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        """Authlib's signals are not used."""

    def handle_response(
        self, status: int, body: dict[str, Any] | str, headers: list[tuple[str, str]]
    ) -> Response:
        content = json.dumps(body) if isinstance(body, dict) else body
        return Response(content, status_code=status, headers=dict(headers))
