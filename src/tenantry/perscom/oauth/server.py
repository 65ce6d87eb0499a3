"""Authlib's authorization server with PERSCOM's grants (Passport's set, minus the legacy
implicit and password grants).

- ``authorization_code``, with PKCE when the client sends a challenge (optional);
  ``state`` is required; a reused code is refused and revokes what it issued; a code
  requested without ``redirect_uri`` is bound to the client's default
  (``tenantry.core.oauth.grants``);
- ``refresh_token`` rotates: the old refresh token and its access token are revoked;
- ``client_credentials``: a machine token without a user;
- the revocation endpoint (RFC 7009) takes an access or a refresh token.
"""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc6749.errors import (
    InvalidGrantError,
    InvalidRequestError,
    InvalidScopeError,
)
from authlib.oauth2.rfc6749.grants import ClientCredentialsGrant, RefreshTokenGrant
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge

from tenantry.core.oauth.grants import BoundRedirectCodeGrant
from tenantry.core.oauth.owner import UserRef
from tenantry.core.oauth.request import OAuthRequest
from tenantry.core.oauth.server import TOKEN_AUTH_METHODS, StarletteAuthorizationServer
from tenantry.perscom.oauth.store import ClientRef, CodeRef, OAuthStore, TokenRef

MAX_NONCE = 255

__all__ = ["PerscomAuthorizationServer"]


class CodeGrant(BoundRedirectCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = TOKEN_AUTH_METHODS
    server: PerscomAuthorizationServer

    def validate_authorization_request(self) -> str:
        redirect_uri: str = super().validate_authorization_request()
        if not self.request.payload.state:
            raise InvalidRequestError(
                "The 'state' parameter is required.", redirect_uri=redirect_uri
            )
        if len(self.request.payload.data.get("nonce") or "") > MAX_NONCE:
            raise InvalidRequestError(
                f"The 'nonce' parameter is longer than {MAX_NONCE} characters.",
                redirect_uri=redirect_uri,
            )
        return redirect_uri

    def save_authorization_code(self, code: str, request: OAuthRequest) -> None:
        self.server.store.save_code(code, request.client, request.user, request)

    def query_authorization_code(self, code: str, client: ClientRef) -> CodeRef | None:
        return self.server.store.take_code(code, client)

    def delete_authorization_code(self, authorization_code: CodeRef) -> None:
        """Nothing to do: :meth:`OAuthStore.take_code` already marked it used."""

    def authenticate_user(self, authorization_code: CodeRef) -> UserRef | None:
        return self.server.store.user(authorization_code.row.user_id)


class RefreshGrant(RefreshTokenGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = TOKEN_AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True
    server: PerscomAuthorizationServer

    def authenticate_refresh_token(self, refresh_token: str) -> TokenRef | None:
        return self.server.store.refreshable(refresh_token, self.request.client)

    def authenticate_user(self, refresh_token: TokenRef) -> UserRef | None:
        user_id = refresh_token.row.user_id
        return self.server.store.user(user_id)

    def revoke_old_credential(self, refresh_token: TokenRef) -> None:
        self.server.store.revoke(refresh_token.row)


class MachineGrant(ClientCredentialsGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = TOKEN_AUTH_METHODS


class Revocation(RevocationEndpoint):  # type: ignore[misc]
    CLIENT_AUTH_METHODS = TOKEN_AUTH_METHODS
    server: PerscomAuthorizationServer

    def query_token(self, token_string: str, token_type_hint: str | None) -> TokenRef | None:
        store = self.server.store
        if token_type_hint != "access_token":
            found = store.by_refresh_token(token_string)
            if found is not None or token_type_hint == "refresh_token":
                return found
        return store.by_access_token(token_string)

    def revoke_token(self, token: TokenRef, request: OAuthRequest) -> None:
        self.server.store.revoke(token.row)


class PerscomAuthorizationServer(StarletteAuthorizationServer):
    """One per request, bound to the client's tenant-scoped synchronous session."""

    def __init__(self, store: OAuthStore) -> None:
        super().__init__()
        self.store = store
        self.register_token_generator("default", self._generate_token)
        self.register_grant(CodeGrant, [CodeChallenge(required=False)])
        self.register_grant(RefreshGrant)
        self.register_grant(MachineGrant)
        self.register_endpoint(Revocation)

    @staticmethod
    def _generate_token(
        client: ClientRef,
        grant_type: str,
        scope: str | None = None,
        include_refresh_token: bool = True,
        **_: Any,
    ) -> dict[str, Any]:
        """Only the shape: :meth:`save_token` issues the real values."""
        allowed = scope if grant_type != "client_credentials" else client.get_allowed_scope(scope)
        if not allowed:
            raise InvalidScopeError()
        return {"scope": allowed, "refresh": include_refresh_token}

    def query_client(self, client_id: str) -> ClientRef | None:
        return self.store.client(client_id)

    def save_token(self, token: dict[str, Any], request: OAuthRequest) -> None:
        code: CodeRef | None = request.authorization_code
        refreshed: TokenRef | None = request.refresh_token
        if refreshed is not None and not self.store.claim_refresh(refreshed.row):
            raise InvalidGrantError("The refresh token has already been used.")
        self.store.record(
            token,
            client=request.client,
            user=request.user,
            origin_code=code,
            origin_code_id=refreshed.row.origin_code_id if refreshed is not None else None,
        )
