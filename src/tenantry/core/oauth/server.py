"""The Authlib server glue every face shares: our request objects in, Starlette responses out."""

from __future__ import annotations

import json
from typing import Any

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import AuthorizationServer
from starlette.responses import Response

from tenantry.core.oauth.basic import authenticate_basic
from tenantry.core.oauth.request import OAuthRequest

TOKEN_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

__all__ = ["TOKEN_AUTH_METHODS", "StarletteAuthorizationServer"]


class StarletteAuthorizationServer(AuthorizationServer):  # type: ignore[misc]
    """An Authlib server fed :class:`OAuthRequest` objects; Basic credentials split leniently."""

    def __init__(self) -> None:
        super().__init__()
        self.register_client_auth_method("client_secret_basic", authenticate_basic)

    def create_oauth2_request(self, request: object) -> OAuthRequest:
        if not isinstance(request, OAuthRequest):
            raise TypeError("build an OAuthRequest from the Starlette request first")
        return request

    def create_json_request(self, request: object) -> OAuthRequest:
        return self.create_oauth2_request(request)

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        """Authlib's signals are not used."""

    def handle_response(
        self, status: int, body: dict[str, Any] | str, headers: list[tuple[str, str]]
    ) -> Response:
        content = json.dumps(body) if isinstance(body, dict) else body
        return Response(content, status_code=status, headers=dict(headers))

    def consent_grant(
        self, request: OAuthRequest, user: object | None
    ) -> tuple[Any, Response | OAuth2Error | None]:
        """Authlib's validation of an authorization request: ``(grant, None)``, or
        ``(None, problem)`` where the problem is a redirect back to the client (the redirect
        URI was valid) or an error to show on a page (it was not: never follow it)."""
        try:
            return self.get_consent_grant(request, end_user=user), None
        except OAuth2Error as error:
            if error.redirect_uri:
                return None, self.handle_error_response(request, error)
            return None, error
