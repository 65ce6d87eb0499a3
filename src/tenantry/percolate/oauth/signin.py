"""``POST /auth/v5/authorize/``: the vendor's first-party sign-in (its Java SDK logs in so).

An app that holds a person's email and password trades them, with its client id, for an
authorization code, which it then exchanges at the token endpoint like any other code. The
password, the TOTP step and their rate limits are the web sign-in's own; the code is saved
through the OAuth store with no redirect URL, so the exchange needs none either. Answers
are top-level objects (no ``data``), and failures carry the ``authorize.*`` codes the SDK
recognises: ``invalid_credentials``, ``totp_required`` (also for a wrong code, so that the
app asks again) and ``invalid_client``.
"""

from __future__ import annotations

import secrets
from typing import Any

import orjson
from fastapi import APIRouter, Request
from sqlalchemy import select
from starlette.responses import Response

from tenantry.core.base import utcnow
from tenantry.core.bodies import JsonRefused, find_nul, parse_json, read_body
from tenantry.core.errors import PayloadTooLarge, RateLimited
from tenantry.core.oauth.owner import UserRef
from tenantry.core.platform import PlatformDep
from tenantry.core.tenancy import tenant_session
from tenantry.percolate import ids
from tenantry.percolate.api.wire import timestamp as format_timestamp
from tenantry.percolate.oauth.credentials import hash_secret
from tenantry.percolate.oauth.models import OAuthCode
from tenantry.percolate.oauth.service import client_secret_box, tenant_of_client
from tenantry.percolate.oauth.store import OAuthStore
from tenantry.web.signin import SignInFailed, check_second_factor, sign_in
from tenantry.web.templating import WebUI

AUTHORIZE_PATH = "/auth/v5/authorize/"
MAX_BODY = 16_384
CLIENT_ID_SCHEME = "client-id "

__all__ = ["AUTHORIZE_PATH", "router"]

router = APIRouter()

_ERRORS = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {
            "code": {"type": "string"},
            "message": {"type": "string"},
            "key": {"type": ["string", "null"]},
        },
    },
}
_BODY: dict[str, Any] = {
    "type": "object",
    "required": ["email", "password"],
    "properties": {
        "email": {"type": "string"},
        "password": {"type": "string"},
        "type": {"type": "string", "enum": ["token"]},
        "two_factor_code": {"type": "string"},
        "sso_payload": {"type": "string"},
        "ext": {"type": "object", "properties": {"client_id": {"type": "string"}}},
    },
}
OPENAPI: dict[str, Any] = {
    "requestBody": {"required": True, "content": {"application/json": {"schema": _BODY}}},
    "responses": {
        "200": {
            "description": "An authorization code for the token endpoint (top level, no data).",
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "id": {"type": "string", "pattern": r"^authorize:\d+$"},
                            "type": {"type": "string"},
                            "user_id": {"type": "string", "pattern": r"^user:\d+$"},
                            "updated_at": {"type": "string"},
                            "ext": {
                                "type": "object",
                                "properties": {
                                    "code": {"type": "string"},
                                    "client_id": {"type": "string"},
                                    "callback_url": {"type": "string"},
                                },
                            },
                        },
                    }
                }
            },
        },
        "400": {
            "description": "`authorize.invalid_credentials`, `authorize.totp_required`,"
            " `authorize.invalid_client` or `input:invalid_value`.",
            "content": {
                "application/json": {
                    "schema": {"type": "object", "properties": {"errors": _ERRORS}}
                }
            },
        },
        "429": {"description": "Too many attempts; see `Retry-After`."},
    },
    "security": [{"client_id_header": []}, {}],
}


def _answer(
    body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        orjson.dumps(body),
        status_code=status,
        media_type="application/json",
        headers={"Cache-Control": "no-store", **(headers or {})},
    )


def _error(code: str, message: str, key: str | None = None, status: int = 400) -> Response:
    return _answer({"errors": [{"code": code, "message": message, "key": key}]}, status)


def _text(data: dict[str, Any], name: str) -> str | None:
    value = data.get(name)
    return value if isinstance(value, str) else None


def _client_id(request: Request, data: dict[str, Any]) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith(CLIENT_ID_SCHEME):
        return header[len(CLIENT_ID_SCHEME) :].strip() or None
    ext = data.get("ext")
    return _text(ext, "client_id") if isinstance(ext, dict) else None


async def _read(request: Request) -> dict[str, Any] | None:
    try:
        data = parse_json(await read_body(request, MAX_BODY))
    except (PayloadTooLarge, JsonRefused):
        return None
    if not isinstance(data, dict) or find_nul(data) is not None:
        return None
    return data


async def authorize(request: Request, platform: PlatformDep) -> Response:
    """Email + password (+ TOTP) + client id -> an authorization code."""
    data = await _read(request)
    if data is None:
        return _error("input:invalid_value", "The body must be a JSON object.")
    email, password = _text(data, "email"), _text(data, "password")
    if not email or password is None:
        key = "$.email" if not email else "$.password"
        return _error("input:invalid_value", "Send an email and a password.", key)
    if data.get("type", "token") != "token":
        return _error("input:invalid_value", "Only type token is supported.", "$.type")
    client_id = _client_id(request, data)
    tenant_id = await tenant_of_client(platform.sessions, client_id)
    if tenant_id is None or client_id is None:
        return _error("authorize.invalid_client", "Unknown client.", "$.ext.client_id")
    ui: WebUI = request.app.state.web_ui
    address = request.client.host if request.client else "unknown"
    try:
        accepted = await sign_in(
            platform,
            ui.limits,
            tenant_id=tenant_id,
            email=email,
            password=password,
            address=address,
        )
        if accepted.needs_second_factor:
            code = _text(data, "two_factor_code")
            if not code or not await check_second_factor(
                platform,
                ui.limits,
                ui.totp,
                tenant_id=tenant_id,
                user_id=accepted.user_id,
                code=code,
            ):
                return _error("authorize.totp_required", "A valid two-factor code is required.")
    except SignInFailed:
        return _error("authorize.invalid_credentials", "Wrong email or password.")
    except RateLimited as limited:
        body = {
            "errors": [{"code": "rate_limit:exceeded", "message": limited.message, "key": None}]
        }
        return _answer(body, 429, limited.headers)
    box = client_secret_box(platform.settings)
    code = secrets.token_urlsafe(32)

    def issue(sync_session: Any) -> tuple[int, str, str] | None:
        store = OAuthStore(sync_session, box)
        client = store.client(client_id)
        user = store.user(accepted.user_id)
        if client is None or user is None:
            return None
        store.save_code(code, client, UserRef(tenant_id, user.user_id), None)
        row_id = sync_session.scalar(
            select(OAuthCode.id).where(OAuthCode.code_hash == hash_secret(code))
        )
        return int(row_id), client.client_id, client.row.redirect_uri

    async with tenant_session(platform.sessions, tenant_id) as session:
        issued = await session.run_sync(issue)
    if issued is None:
        return _error("authorize.invalid_client", "Unknown client.", "$.ext.client_id")
    row_id, wire_client, callback = issued
    return _answer(
        {
            "id": f"authorize:{row_id}",
            "type": "token",
            "user_id": ids.encode(ids.USER, accepted.user_id),
            "updated_at": format_timestamp(utcnow()),
            "ext": {"code": code, "client_id": wire_client, "callback_url": callback},
            "errors": [],
        }
    )


for _path, _shown in ((AUTHORIZE_PATH, True), (AUTHORIZE_PATH.rstrip("/"), False)):
    router.add_api_route(
        _path,
        authorize,
        methods=["POST"],
        operation_id="authorizeFirstParty" if _shown else None,
        summary="Sign in with email and password (first-party apps)",
        tags=["oauth"],
        include_in_schema=_shown,
        openapi_extra=OPENAPI,
    )
