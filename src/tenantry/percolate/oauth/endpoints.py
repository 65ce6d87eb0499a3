"""The two OAuth endpoints: ``/auth/oauth2`` (a browser, a person) and ``/auth/v5/token/``.

Both first find the tenant from the ``client_id`` (global client directory), then run
Authlib inside that tenant's session. The authorization endpoint validates the request
before anything else, so a bad client or redirect URL is shown as a page and never
followed; only then does it ask the person to sign in (scoped to the client's tenant),
pass the TOTP step when enabled, and consent.
"""

from __future__ import annotations

from typing import Any

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749.errors import InvalidRequestError
from fastapi import APIRouter, Request
from starlette.responses import Response

from tenantry.core.oauth.basic import client_id_from_request
from tenantry.core.oauth.body import MAX_TOKEN_BODY, oauth_error_response, read_token_body
from tenantry.core.oauth.owner import UserRef
from tenantry.core.oauth.request import OAuthRequest, flatten, oauth_uri
from tenantry.core.oauth.session import client_session
from tenantry.core.platform import PlatformDep
from tenantry.core.tenancy import tenant_session
from tenantry.percolate.oauth.server import PercolateAuthorizationServer
from tenantry.percolate.oauth.service import client_secret_box, tenant_of_client
from tenantry.percolate.oauth.store import ClientRef, OAuthStore
from tenantry.web.oauth_consent import ConsentRequest, authorize_flow, error_page
from tenantry.web.signin import SignedInUser
from tenantry.web.templating import PageDep

AUTHORIZE_PATH = "/auth/oauth2"
TOKEN_PATH = "/auth/v5/token/"

router = APIRouter()

_TOKEN_FIELDS: dict[str, Any] = {
    "type": "object",
    "required": ["grant_type"],
    "properties": {
        "grant_type": {"type": "string", "enum": ["authorization_code", "refresh_token"]},
        "code": {"type": "string", "description": "The code (authorization_code grant)."},
        "redirect_uri": {"type": "string", "description": "As sent to /auth/oauth2."},
        "refresh_token": {"type": "string", "description": "refresh_token grant."},
        "client_id": {"type": "string", "description": "Without HTTP Basic credentials."},
        "client_secret": {"type": "string", "description": "Without HTTP Basic credentials."},
    },
}
TOKEN_OPENAPI: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {"schema": _TOKEN_FIELDS},
            "application/json": {"schema": _TOKEN_FIELDS},
        },
    },
    "responses": {
        "200": {
            "description": "The token, flat (reference §1.4).",
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "id": {"type": "string", "pattern": r"^token:\d+$"},
                            "token_type": {"type": "string"},
                            "access_token": {"type": "string"},
                            "refresh_token": {"type": "string"},
                            "expires_in": {"type": "integer"},
                            "expires_at": {"type": "string", "format": "date-time"},
                            "user_id": {"type": "string", "pattern": r"^user:\d+$"},
                            "grant_id": {"type": "string"},
                            "updated_at": {"type": "string", "format": "date-time"},
                            "authorized_tenant_id": {"type": "string", "pattern": r"^account:\d+$"},
                        },
                    }
                }
            },
        },
        "400": {"description": "An RFC 6749 error (`invalid_grant`, `invalid_request`, ...)."},
        "401": {"description": "`invalid_client`, with `WWW-Authenticate: Basic`."},
    },
    "security": [{"client_basic": []}, {}],
}
"""The token endpoint reads its body itself (form or JSON): its OpenAPI text is spelled out."""

__all__ = ["AUTHORIZE_PATH", "MAX_TOKEN_BODY", "TOKEN_PATH", "router"]


@router.post(
    TOKEN_PATH,
    summary="Exchange an authorization code or a refresh token for an access token",
    openapi_extra=TOKEN_OPENAPI,
    response_class=Response,
)
@router.post(TOKEN_PATH.rstrip("/"), include_in_schema=False)
async def token_endpoint(request: Request, platform: PlatformDep) -> Response:
    """Exchange a code, or refresh; RFC 6749 §5 responses in Percolate's flat shape."""
    try:
        data, datalist = await read_token_body(request)
        if not data.get("grant_type"):
            raise InvalidRequestError("Missing 'grant_type' in request.")
        oauth_request = OAuthRequest(
            "POST", oauth_uri(platform.settings, request), request.headers, data, datalist
        )
    except OAuth2Error as error:
        return oauth_error_response(error)
    tenant_id = await tenant_of_client(
        platform.sessions, client_id_from_request(request.headers, data)
    )
    box = client_secret_box(platform.settings)

    def respond(sync_session: Any) -> Response:
        server = PercolateAuthorizationServer(OAuthStore(sync_session, box))
        response: Response = server.create_token_response(oauth_request)
        return response

    async with client_session(platform, tenant_id) as session:
        return await session.run_sync(respond)


@router.api_route(AUTHORIZE_PATH, methods=["GET", "POST"], include_in_schema=False)
async def authorize(request: Request, page: PageDep) -> Response:
    """Sign in (scoped to the client's tenant), TOTP when enabled, consent, redirect."""
    platform = page.platform
    data, datalist = flatten(list(request.query_params.multi_items()))
    tenant_id = await tenant_of_client(platform.sessions, data.get("client_id"))
    box = client_secret_box(platform.settings)
    try:
        oauth_request = OAuthRequest(
            request.method, oauth_uri(platform.settings, request), request.headers, data, datalist
        )
    except OAuth2Error as error:
        return error_page(page, error)

    async def validate() -> ConsentRequest | Response | OAuth2Error:
        def run(sync_session: Any) -> ConsentRequest | Response | OAuth2Error:
            server = PercolateAuthorizationServer(OAuthStore(sync_session, box))
            grant, problem = server.consent_grant(oauth_request, None)
            if problem is not None:
                return problem
            client: ClientRef = grant.client
            return ConsentRequest(
                client.tenant_id,
                client.client_id,
                client.row.name,
                grant.redirect_uri,
                api_name="Percolate API",
                manage_hint="Connected applications",
            )

        async with client_session(platform, tenant_id) as db:
            return await db.run_sync(run)

    async def decide(user: SignedInUser, allowed: bool) -> Response | OAuth2Error:
        grant_user = UserRef(user.tenant_id, user.user_id)

        def run(sync_session: Any) -> Response | OAuth2Error:
            server = PercolateAuthorizationServer(OAuthStore(sync_session, box))
            grant, problem = server.consent_grant(oauth_request, grant_user)
            if problem is not None:
                return problem
            response: Response = server.create_authorization_response(
                oauth_request, grant_user=grant_user if allowed else None, grant=grant
            )
            return response

        async with tenant_session(platform.sessions, user.tenant_id) as db:
            return await db.run_sync(run)

    return await authorize_flow(request, page, validate, decide)
