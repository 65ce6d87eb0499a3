"""Authlib's RFC 6749 authorization server behind a small adapter, with Percolate's rules.

Authlib validates the grants; this module only supplies storage (:class:`OAuthStore`),
request objects built from already-read Starlette requests, and the few places Percolate
differs from the RFC defaults:

- ``state`` is required on the authorization endpoint;
- the client id is typed (``client:123``) and so contains a colon: HTTP Basic credentials
  are split on the *last* colon, with or without Base64 padding, id with or without prefix;
- refresh tokens rotate, and a refresh is allowed up to 14 days after the token expired;
- a reused code is refused and revokes the tokens it produced;
- PKCE (S256) when the client sends a challenge, and the redirect URI bound to the code even
  when the request left it out (``tenantry.core.oauth.grants``).
"""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc6749.errors import InvalidRequestError
from authlib.oauth2.rfc6749.grants import RefreshTokenGrant

from tenantry.core.oauth.basic import client_id_from_request, parse_basic_credentials
from tenantry.core.oauth.grants import BoundRedirectCodeGrant, S256CodeChallenge
from tenantry.core.oauth.owner import UserRef
from tenantry.core.oauth.request import OAuthRequest
from tenantry.core.oauth.server import TOKEN_AUTH_METHODS, StarletteAuthorizationServer
from tenantry.percolate.oauth.store import (
    ClientRef,
    CodeRef,
    OAuthStore,
    TokenRef,
    new_token_values,
)

__all__ = [
    "OAuthRequest",
    "PercolateAuthorizationServer",
    "client_id_from_request",
    "parse_basic_credentials",
]


class CodeGrant(BoundRedirectCodeGrant):
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
            code,
            request.client,
            request.user,
            request.payload.redirect_uri,
            request.payload.data.get("code_challenge") or None,
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


class PercolateAuthorizationServer(StarletteAuthorizationServer):
    """One per request, bound to the request's tenant-scoped synchronous session."""

    def __init__(self, store: OAuthStore) -> None:
        super().__init__()
        self.store = store
        self.register_token_generator("default", self._generate_token)
        self.register_grant(CodeGrant, [S256CodeChallenge()])
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
