"""Passport's and OpenID Connect's routes: ``/oauth/authorize``, ``/oauth/token``,
``/oauth/revoke``, ``/oauth/userinfo``, ``/oauth/logout`` and the discovery document.

Each finds the tenant first (from ``client_id`` through the global client directory, or
from the bearer token's ``tenant`` claim), then works inside that tenant's session.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749.errors import InvalidRequestError
from fastapi import APIRouter, FastAPI, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import JSONResponse, RedirectResponse, Response

from tenantry.core.base import utcnow
from tenantry.core.identity.models import User
from tenantry.core.oauth.basic import client_id_from_request
from tenantry.core.oauth.body import oauth_error_response, read_token_body
from tenantry.core.oauth.owner import UserRef
from tenantry.core.oauth.request import OAuthRequest, flatten, oauth_uri
from tenantry.core.oauth.session import client_session
from tenantry.core.platform import Platform, PlatformDep
from tenantry.core.sealing import SecretBox
from tenantry.core.tenancy import tenant_session
from tenantry.perscom.activity.recorder import note_oauth_client
from tenantry.perscom.apikeys import ApiKey, ApiKeyIssuer, TokenReader, hash_jti
from tenantry.perscom.oauth.clients import tenant_of_client
from tenantry.perscom.oauth.scopes import OIDC_SCOPES, has_scope
from tenantry.perscom.oauth.server import PerscomAuthorizationServer
from tenantry.perscom.oauth.store import ClientRef, OAuthStore
from tenantry.web.oauth_consent import ConsentRequest, authorize_flow, error_page
from tenantry.web.signin import SignedInUser
from tenantry.web.templating import PageDep

AUTHORIZE_PATH = "/oauth/authorize"
TOKEN_PATH = "/oauth/token"
REVOKE_PATH = "/oauth/revoke"
USERINFO_PATH = "/oauth/userinfo"
LOGOUT_PATH = "/oauth/logout"
DISCOVERY_PATH = "/.well-known/openid-configuration"
CLAIMS = (
    "sub",
    "id",
    "name",
    "preferred_username",
    "profile",
    "email",
    "email_verified",
    "picture",
    "phone_number",
    "roles",
    "locale",
    "zoneinfo",
    "updated_at",
    "tenant",
)

router = APIRouter()

__all__ = ["OAuthRuntime", "router"]


@dataclass(frozen=True)
class OAuthRuntime:
    """What the OAuth routes share: the client-secret box and the API key issuer/reader."""

    box: SecretBox
    issuer: ApiKeyIssuer
    reader: TokenReader

    def store(self, session: Session) -> OAuthStore:
        return OAuthStore(session, self.box, self.issuer, self.reader)

    def server(self, session: Session) -> PerscomAuthorizationServer:
        return PerscomAuthorizationServer(self.store(session))


def _runtime(request: Request) -> OAuthRuntime:
    runtime = getattr(request.app.state, "perscom_oauth", None)
    if not isinstance(runtime, OAuthRuntime):
        raise RuntimeError("the PERSCOM OAuth server is not installed")
    return runtime


def install_routes(app: FastAPI, runtime: OAuthRuntime) -> None:
    app.state.perscom_oauth = runtime
    app.include_router(router)


async def _endpoint(request: Request, platform: Platform, name: str | None) -> Response:
    """Read the body (form or JSON), find the client's tenant, run Authlib there."""
    try:
        data, datalist = await read_token_body(request, json_any_type=True)
        if name is None and not data.get("grant_type"):
            raise InvalidRequestError("Missing 'grant_type' in request.")
        oauth_request = OAuthRequest(
            "POST", oauth_uri(platform.settings, request), request.headers, data, datalist
        )
    except OAuth2Error as error:
        return oauth_error_response(error)
    client_id = client_id_from_request(request.headers, data)
    tenant_id = await tenant_of_client(platform.sessions, client_id)
    if tenant_id is not None and client_id:
        note_oauth_client(request.scope, tenant_id, client_id)
    runtime = _runtime(request)

    def respond(sync_session: Session) -> Response:
        server = runtime.server(sync_session)
        if name is None:
            response: Response = server.create_token_response(oauth_request)
        else:
            response = server.create_endpoint_response(name, oauth_request)
        return response

    async with client_session(platform, tenant_id) as session:
        return await session.run_sync(respond)


@router.post(TOKEN_PATH, include_in_schema=False)
async def token(request: Request, platform: PlatformDep) -> Response:
    """Exchange a code, refresh, or a client's own credentials; RFC 6749 §5 responses."""
    return await _endpoint(request, platform, None)


@router.post(REVOKE_PATH, include_in_schema=False)
async def revoke(request: Request, platform: PlatformDep) -> Response:
    """RFC 7009: the client's access or refresh token stops working (200 even if unknown)."""
    return await _endpoint(request, platform, "revocation")


@router.api_route(AUTHORIZE_PATH, methods=["GET", "POST"], include_in_schema=False)
async def authorize(request: Request, page: PageDep) -> Response:
    """Sign in (in the client's tenant), TOTP when enabled, consent, redirect with a code."""
    platform = page.platform
    runtime = _runtime(request)
    data, datalist = flatten(list(request.query_params.multi_items()))
    tenant_id = await tenant_of_client(platform.sessions, data.get("client_id"))
    try:
        oauth_request = OAuthRequest(
            request.method, oauth_uri(platform.settings, request), request.headers, data, datalist
        )
    except OAuth2Error as error:
        return error_page(page, error)

    async def validate() -> ConsentRequest | Response | OAuth2Error:
        def run(sync_session: Session) -> ConsentRequest | Response | OAuth2Error:
            grant, problem = runtime.server(sync_session).consent_grant(oauth_request, None)
            if problem is not None:
                return problem
            client: ClientRef = grant.client
            return ConsentRequest(
                client.tenant_id,
                client.client_id,
                client.row.name,
                grant.redirect_uri,
                api_name="PERSCOM API",
                scopes=tuple(str(grant.request.scope or "").split()),
            )

        async with client_session(platform, tenant_id) as db:
            return await db.run_sync(run)

    async def decide(user: SignedInUser, allowed: bool) -> Response | OAuth2Error:
        grant_user = UserRef(user.tenant_id, user.user_id)

        def run(sync_session: Session) -> Response | OAuth2Error:
            server = runtime.server(sync_session)
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


@dataclass(frozen=True)
class Bearer:
    """A live access token: its tenant, user, client (``aud``) and scopes."""

    tenant_id: int
    user_id: int | None
    audience: str | None
    scopes: list[str]
    api_key_id: int


def _bearer_error(status: int, code: str, description: str) -> Response:
    header = f'Bearer error="{code}", error_description="{description}"'
    return JSONResponse(
        {"error": code, "error_description": description},
        status_code=status,
        headers={"WWW-Authenticate": header, "Cache-Control": "no-store"},
    )


async def _bearer(request: Request, platform: Platform) -> Bearer | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    claims = _runtime(request).reader.verify(token.strip())
    tenant = claims.get("tenant") if claims is not None else None
    if claims is None or not isinstance(tenant, str) or not tenant.isdigit():
        return None
    tenant_id = int(tenant)
    async with tenant_session(platform.sessions, tenant_id) as session:
        key = await session.scalar(
            select(ApiKey).where(ApiKey.jti_hash == hash_jti(str(claims["jti"])))
        )
        if key is None or key.revoked_at is not None:
            return None
        if key.expires_at is not None and key.expires_at <= utcnow():
            return None
        if key.user_id is not None:
            user = await session.get(User, (tenant_id, key.user_id))
            if user is None or not user.active:
                return None
        audience = claims.get("aud")
        return Bearer(
            tenant_id,
            key.user_id,
            audience if isinstance(audience, str) else None,
            list(key.scopes),
            key.id,
        )


@router.get(USERINFO_PATH, include_in_schema=False)
async def userinfo(request: Request, platform: PlatformDep) -> Response:
    """The user's claims (needs ``openid``); ``email*`` need ``email``, the rest ``profile``."""
    bearer = await _bearer(request, platform)
    if bearer is None:
        return _bearer_error(401, "invalid_token", "The access token is missing or not valid.")
    if bearer.audience:
        note_oauth_client(request.scope, bearer.tenant_id, bearer.audience)
    if not has_scope(bearer.scopes, "openid") or bearer.user_id is None:
        return _bearer_error(403, "insufficient_scope", "The token lacks the openid scope.")
    runtime = _runtime(request)
    user_id = bearer.user_id

    def claims(sync_session: Session) -> dict[str, Any]:
        return runtime.store(sync_session).userinfo(user_id, bearer.scopes)

    async with tenant_session(platform.sessions, bearer.tenant_id) as session:
        body = await session.run_sync(claims)
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return (
        "application/json" in accept or request.headers.get("x-requested-with") == "XMLHttpRequest"
    )


@router.get(LOGOUT_PATH, include_in_schema=False)
async def logout(request: Request, page: PageDep) -> Response:
    """With a bearer token: revoke the user's tokens of that client (204 for JSON callers).
    Without: end the web session. Then follow ``post_logout_redirect_uri`` when it is one of
    the client's registered redirect URIs, else go to the sign-in page."""
    platform = page.platform
    runtime = _runtime(request)
    bearer = await _bearer(request, platform)
    redirect = request.query_params.get("post_logout_redirect_uri")
    client_id = request.query_params.get("client_id") or (bearer.audience if bearer else None)
    tenant_id = bearer.tenant_id if bearer else await tenant_of_client(platform.sessions, client_id)

    def work(sync_session: Session) -> str | None:
        store = runtime.store(sync_session)
        client = store.client(client_id) if client_id else None
        if bearer is not None:
            if bearer.user_id is not None:
                store.revoke_user_tokens(bearer.user_id, client.id if client else None)
            else:
                found = store.by_access_token(
                    request.headers["authorization"].partition(" ")[2].strip()
                )
                if found is not None:
                    store.revoke(found.row)
        if redirect and client is not None and client.check_redirect_uri(redirect):
            state = request.query_params.get("state")
            return redirect + (
                ("&" if "?" in redirect else "?") + urlencode({"state": state}) if state else ""
            )
        return None

    async with client_session(platform, tenant_id) as session:
        target = await session.run_sync(work)
    if bearer is None:
        page.end_session()
    if _wants_json(request) or (bearer is not None and target is None):
        return page.finish(Response(status_code=204))
    return page.finish(RedirectResponse(target or "/login", status_code=302))


@router.get(DISCOVERY_PATH, include_in_schema=False)
async def discovery(platform: PlatformDep) -> Response:
    """OpenID Connect discovery: where everything is and what it supports."""
    base = platform.settings.base_url.rstrip("/")
    return JSONResponse(
        {
            "issuer": base,
            "authorization_endpoint": base + AUTHORIZE_PATH,
            "token_endpoint": base + TOKEN_PATH,
            "userinfo_endpoint": base + USERINFO_PATH,
            "revocation_endpoint": base + REVOKE_PATH,
            "end_session_endpoint": base + LOGOUT_PATH,
            "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["HS256"],
            "scopes_supported": list(OIDC_SCOPES),
            "claims_supported": list(CLAIMS),
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256", "plain"],
        }
    )
