"""The OAuth and OpenID Connect operations in the PERSCOM OpenAPI document.

The endpoints read their bodies themselves (form or JSON) and answer in RFC 6749's shapes,
so their OpenAPI text is spelled out here rather than derived from declarations.
"""

from __future__ import annotations

from typing import Any

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"

_OAUTH_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "string"}, "error_description": {"type": "string"}},
}
_TOKEN_FIELDS: dict[str, Any] = {
    "type": "object",
    "required": ["grant_type"],
    "properties": {
        "grant_type": {
            "type": "string",
            "enum": ["authorization_code", "refresh_token", "client_credentials"],
        },
        "code": {"type": "string", "description": "authorization_code grant."},
        "redirect_uri": {"type": "string", "description": "As sent to /oauth/authorize."},
        "code_verifier": {"type": "string", "description": "PKCE, when a challenge was sent."},
        "refresh_token": {"type": "string", "description": "refresh_token grant."},
        "scope": {"type": "string", "description": "Space-separated; default: the client's."},
        "client_id": {"type": "string", "description": "Without HTTP Basic credentials."},
        "client_secret": {"type": "string", "description": "Without HTTP Basic credentials."},
    },
}
_REVOKE_FIELDS: dict[str, Any] = {
    "type": "object",
    "required": ["token"],
    "properties": {
        "token": {"type": "string"},
        "token_type_hint": {"type": "string", "enum": ["access_token", "refresh_token"]},
        "client_id": {"type": "string"},
        "client_secret": {"type": "string"},
    },
}
_TOKEN = {
    "type": "object",
    "required": ["access_token", "token_type", "expires_in"],
    "properties": {
        "access_token": {"type": "string", "description": "A JWT the API accepts as a key."},
        "token_type": {"type": "string"},
        "expires_in": {"type": "integer"},
        "refresh_token": {"type": "string"},
        "scope": {"type": "string"},
        "id_token": {"type": "string", "description": "With the openid scope (HS256)."},
    },
}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {FORM: {"schema": schema}, JSON: {"schema": schema}}}


def _query(name: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": {"type": "string"}}


def oauth_paths() -> dict[str, dict[str, Any]]:
    """Paths for ``/oauth/*`` and the discovery document (served on the dashboard host)."""
    errors = {
        "400": _json(_OAUTH_ERROR, "An RFC 6749 error (`invalid_grant`, `invalid_request`...)."),
        "401": _json(_OAUTH_ERROR, "`invalid_client`."),
        "405": _json(_OAUTH_ERROR, "Wrong method."),
    }
    client_auth: list[dict[str, list[str]]] = [{"ClientBasic": []}, {}]
    return {
        "/oauth/token": {
            "post": {
                "operationId": "oauthToken",
                "tags": ["oauth"],
                "summary": "Exchange a code, refresh a token, or get a client-credentials token",
                "security": client_auth,
                "requestBody": _body(_TOKEN_FIELDS),
                "responses": {"200": _json(_TOKEN, "The token."), **errors},
            }
        },
        "/oauth/revoke": {
            "post": {
                "operationId": "oauthRevoke",
                "tags": ["oauth"],
                "summary": "Revoke an access or refresh token (RFC 7009)",
                "security": client_auth,
                "requestBody": _body(_REVOKE_FIELDS),
                "responses": {"200": _json({"type": "object"}, "Revoked (or unknown)."), **errors},
            }
        },
        "/oauth/userinfo": {
            "get": {
                "operationId": "oauthUserinfo",
                "tags": ["oauth"],
                "summary": "The signed-in user's OpenID Connect claims (needs `openid`)",
                "security": [{"ApiKey": []}],
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "required": ["sub"],
                            "properties": {"sub": {"type": "string"}},
                        },
                        "Claims; `email*` only with `email`, the rest only with `profile`.",
                    ),
                    "401": _json(_OAUTH_ERROR, "`invalid_token`."),
                    "403": _json(_OAUTH_ERROR, "`insufficient_scope`."),
                },
            }
        },
        "/oauth/logout": {
            "get": {
                "operationId": "oauthLogout",
                "tags": ["oauth"],
                "summary": "Revoke the caller's tokens, or end the web session",
                "security": [{"ApiKey": []}, {}],
                "parameters": [
                    {
                        "name": "post_logout_redirect_uri",
                        "in": "query",
                        "schema": {"type": "string"},
                    },
                    {"name": "client_id", "in": "query", "schema": {"type": "string"}},
                    {"name": "state", "in": "query", "schema": {"type": "string"}},
                ],
                "responses": {
                    "204": {"description": "Signed out (JSON callers, or nowhere to go)."},
                    "302": {
                        "description": "To a registered `post_logout_redirect_uri`, else sign-in."
                    },
                },
            }
        },
        "/.well-known/openid-configuration": {
            "get": {
                "operationId": "openidConfiguration",
                "tags": ["oauth"],
                "summary": "OpenID Connect discovery",
                "security": [],
                "responses": {
                    "200": _json(
                        {"type": "object", "required": ["issuer", "token_endpoint"]},
                        "Endpoints and what they support.",
                    )
                },
            }
        },
    }


CLIENT_BASIC = {"type": "http", "scheme": "basic", "description": "OAuth client id and secret."}
