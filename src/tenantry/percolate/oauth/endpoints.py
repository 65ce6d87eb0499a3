"""The two OAuth endpoints: ``/auth/oauth2`` (a browser, a person) and ``/auth/v5/token/``.

Both first find the tenant from the ``client_id`` (global client directory), then run
Authlib inside that tenant's session. The authorization endpoint validates the request
before anything else, so a bad client or redirect URL is shown as a page and never
followed; only then does it ask the person to sign in (scoped to the client's tenant),
pass the TOTP step when enabled, and consent.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749.errors import InvalidRequestError
from fastapi import APIRouter, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from tenantry.core.db import transaction
from tenantry.core.platform import Platform, PlatformDep
from tenantry.core.tenancy import tenant_session
from tenantry.percolate.oauth.server import (
    OAuthRequest,
    PercolateAuthorizationServer,
    client_id_from_request,
)
from tenantry.percolate.oauth.service import client_secret_box, tenant_of_client
from tenantry.percolate.oauth.store import ClientRef, OAuthStore, UserRef
from tenantry.settings import Settings
from tenantry.web.pages import form_text
from tenantry.web.templating import Page, PageDep

AUTHORIZE_PATH = "/auth/oauth2"
TOKEN_PATH = "/auth/v5/token/"
MAX_TOKEN_BODY = 16_384

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

__all__ = ["AUTHORIZE_PATH", "TOKEN_PATH", "router"]


def oauth_uri(settings: Settings, request: Request) -> str:
    """The request's URI on the public origin (``base_url``): Authlib refuses plain http
    except on loopback, and behind a TLS-terminating proxy the socket's scheme is not it."""
    query = request.url.query
    return settings.base_url.rstrip("/") + request.url.path + (f"?{query}" if query else "")


@asynccontextmanager
async def oauth_session(platform: Platform, tenant_id: int | None) -> AsyncIterator[AsyncSession]:
    """The client's tenant session; an unscoped one (which finds no client) when unknown."""
    if tenant_id is None:
        async with transaction(platform.sessions) as session:
            yield session
    else:
        async with tenant_session(platform.sessions, tenant_id) as session:
            yield session


def _flatten(pairs: list[tuple[str, str]]) -> tuple[dict[str, str], dict[str, list[str]]]:
    data: dict[str, str] = {}
    datalist: dict[str, list[str]] = {}
    for key, value in pairs:
        data.setdefault(key, value)
        datalist.setdefault(key, []).append(value)
    return data, datalist


async def read_token_body(request: Request) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Form-encoded or JSON (an object of scalars); anything else is ``invalid_request``."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    raw = await request.body()
    if len(raw) > MAX_TOKEN_BODY:
        raise InvalidRequestError("The request body is too large.")
    if media_type == "application/json":
        try:
            parsed = json.loads(raw)
        except ValueError:
            raise InvalidRequestError("The body is not valid JSON.") from None
        if not isinstance(parsed, dict):
            raise InvalidRequestError("The JSON body must be an object.")
        pairs: list[tuple[str, str]] = []
        for key, value in parsed.items():
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, str | int | float):
                raise InvalidRequestError(f"The '{_ascii(key)}' field must be a string.")
            pairs.append((key, str(value)))
        return _flatten(pairs)
    if media_type not in ("application/x-www-form-urlencoded", ""):
        raise InvalidRequestError(
            "Send the body as application/x-www-form-urlencoded or application/json."
        )
    try:
        pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except (UnicodeDecodeError, ValueError):
        raise InvalidRequestError("The form body could not be read.") from None
    data, datalist = _flatten(pairs)
    for key, values in datalist.items():
        if len(values) > 1:
            raise InvalidRequestError(f"The '{_ascii(key)}' parameter is repeated.")
    return data, datalist


def _ascii(text: str) -> str:
    """Error descriptions may only carry printable ASCII without quotes or backslashes."""
    return "".join(ch for ch in text[:40] if 0x20 <= ord(ch) <= 0x7E and ch not in '"\\')


def _oauth_error_response(error: OAuth2Error) -> Response:
    status, body, headers = error()
    return Response(json.dumps(body), status_code=status, headers=dict(headers))


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
        return _oauth_error_response(error)
    tenant_id = await tenant_of_client(
        platform.sessions, client_id_from_request(request.headers, data)
    )
    box = client_secret_box(platform.settings)

    def respond(sync_session: Any) -> Response:
        server = PercolateAuthorizationServer(OAuthStore(sync_session, box))
        response: Response = server.create_token_response(oauth_request)
        return response

    async with oauth_session(platform, tenant_id) as session:
        return await session.run_sync(respond)


@dataclass(frozen=True)
class ConsentRequest:
    """A validated authorization request, ready to show to a person."""

    tenant_id: int
    client_id: str
    client_name: str
    redirect_uri: str


def _validated(
    server: PercolateAuthorizationServer, request: OAuthRequest, user: UserRef | None
) -> tuple[Any, Response | OAuth2Error | None]:
    """Authlib's validation: (grant, None), or (None, redirect to the client | error to show)."""
    try:
        return server.get_consent_grant(request, end_user=user), None
    except OAuth2Error as error:
        if error.redirect_uri:
            return None, server.handle_error_response(request, error)
        return None, error


def _error_page(page: Page, error: OAuth2Error) -> Response:
    message = error.description or str(error.error).replace("_", " ")
    return page.render(
        "error.html",
        status=400,
        code=400,
        message=f"This application's sign-in link is not valid: {message}",
        details=[],
    )


@router.api_route(AUTHORIZE_PATH, methods=["GET", "POST"], include_in_schema=False)
async def authorize(request: Request, page: PageDep) -> Response:
    """Sign in (scoped to the client's tenant), TOTP when enabled, consent, redirect."""
    platform = page.platform
    form = await page.form() if request.method == "POST" else None
    data, datalist = _flatten(list(request.query_params.multi_items()))
    tenant_id = await tenant_of_client(platform.sessions, data.get("client_id"))
    try:
        oauth_request = OAuthRequest(
            request.method, oauth_uri(platform.settings, request), request.headers, data, datalist
        )
    except OAuth2Error as error:
        return _error_page(page, error)
    box = client_secret_box(platform.settings)

    def validate(sync_session: Any) -> ConsentRequest | Response | OAuth2Error:
        server = PercolateAuthorizationServer(OAuthStore(sync_session, box))
        grant, problem = _validated(server, oauth_request, None)
        if problem is not None:
            return problem
        client: ClientRef = grant.client
        return ConsentRequest(
            client.tenant_id, client.client_id, client.row.name, grant.redirect_uri
        )

    async with oauth_session(platform, tenant_id) as db:
        outcome = await db.run_sync(validate)
    if isinstance(outcome, OAuth2Error):
        return _error_page(page, outcome)
    if isinstance(outcome, Response):
        return page.finish(outcome)

    here = request.url.path + "?" + request.url.query
    session = page.session
    if session is None or session.tenant_id != outcome.tenant_id:
        return page.redirect(page.login_url(here, outcome.tenant_id))
    if session.stage == "password":
        return page.redirect("/login/two-factor?" + urlencode({"next": here}))
    user = await page.user()
    if user is None:
        return page.redirect(page.login_url(here, outcome.tenant_id))
    if form is None:
        return page.render("percolate/consent.html", consent=outcome, action=here)

    grant_user = UserRef(user.tenant_id, user.user_id)
    allowed = form_text(form, "decision") == "allow"

    def decide(sync_session: Any) -> Response | OAuth2Error:
        server = PercolateAuthorizationServer(OAuthStore(sync_session, box))
        grant, problem = _validated(server, oauth_request, grant_user)
        if problem is not None:
            return problem
        response: Response = server.create_authorization_response(
            oauth_request, grant_user=grant_user if allowed else None, grant=grant
        )
        return response

    async with tenant_session(platform.sessions, outcome.tenant_id) as db:
        decided = await db.run_sync(decide)
    if isinstance(decided, OAuth2Error):
        return _error_page(page, decided)
    return page.finish(decided)
