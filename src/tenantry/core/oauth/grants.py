"""Authorization-code rules both faces' Authlib servers share, beyond the RFC defaults.

- PKCE (RFC 7636) with ``S256``: a code requested with a challenge is redeemed only with the
  matching verifier (Authlib's ``CodeChallenge`` hooks). ``plain`` is refused: it protects
  nothing once the authorization request leaks.
- A code requested without ``redirect_uri`` was delivered to the client's registered
  default, so a token request naming any other URI is refused (RFC 6749 §4.1.3 only binds
  the URI when the authorization request carried one; the default binds it here too).
"""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc6749.errors import InvalidGrantError, InvalidRequestError
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant
from authlib.oauth2.rfc7636 import CodeChallenge

__all__ = ["BoundRedirectCodeGrant", "S256CodeChallenge"]


class S256CodeChallenge(CodeChallenge):  # type: ignore[misc]
    """PKCE, optional for the client but enforced once a challenge was sent; S256 only."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"

    def __init__(self) -> None:
        super().__init__(required=False)

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if data.get("code_challenge") and data.get("code_challenge_method") != "S256":
            raise InvalidRequestError(
                "'code_challenge_method' must be S256.", redirect_uri=redirect_uri
            )
        super().validate_code_challenge(grant, redirect_uri)


class BoundRedirectCodeGrant(AuthorizationCodeGrant):  # type: ignore[misc]
    """The code grant with the redirect URI bound even when the client left it out."""

    def validate_token_request(self) -> None:
        super().validate_token_request()
        sent = self.request.payload.redirect_uri
        code = self.request.authorization_code
        default = self.request.client.get_default_redirect_uri()
        if sent and not code.get_redirect_uri() and sent != default:
            raise InvalidGrantError("Invalid 'redirect_uri' in request.")
