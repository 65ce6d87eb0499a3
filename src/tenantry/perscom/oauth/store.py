"""The PERSCOM OAuth tables as Authlib sees them, and the one place tokens are issued.

Authlib's server is synchronous, so this runs on the synchronous face of a tenant-scoped
``AsyncSession`` (``run_sync``): the tenant filter and row-level security apply as
everywhere else. An access token is issued as an API key (``ApiKeyIssuer.issue_sync``), so
``/v1`` and ``/v2`` accept it exactly like one; revoking the OAuth token revokes the key.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from datetime import datetime, timedelta
from typing import Any

import jwt
from authlib.oauth2.rfc6749 import AuthorizationCodeMixin, ClientMixin, TokenMixin
from authlib.oauth2.rfc6749.errors import InvalidScopeError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tenantry.core.base import utcnow
from tenantry.core.identity.models import User
from tenantry.core.oauth.owner import UserRef
from tenantry.core.oauth.rotation import claim_once
from tenantry.core.resources.scoped import of_tenant, same_tenant
from tenantry.core.sealing import SealBroken, SecretBox
from tenantry.core.tenancy import Tenant, tenant_of
from tenantry.perscom.apikeys import ApiKey, ApiKeyIssuer, TokenReader, hash_jti
from tenantry.perscom.oauth.models import OAuthClient, OAuthCode, OAuthToken
from tenantry.perscom.oauth.scopes import granted_scopes, split_scopes

ACCESS_TOKEN_SECONDS = 3600
"""An hour: clients refresh on 401 (the Zapier app does so on its own)."""
REFRESH_TOKEN_DAYS = 30
CODE_SECONDS = 600
"""Passport's authorization codes live ten minutes."""
ID_TOKEN_SECONDS = 3600
CLIENT_AUTH_METHODS = frozenset({"client_secret_basic", "client_secret_post"})
GRANT_TYPES = ("authorization_code", "refresh_token", "client_credentials")

__all__ = [
    "ACCESS_TOKEN_SECONDS",
    "CODE_SECONDS",
    "GRANT_TYPES",
    "ClientRef",
    "CodeRef",
    "OAuthStore",
    "TokenRef",
    "hash_secret",
]


def hash_secret(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class ClientRef(ClientMixin):  # type: ignore[misc]
    """An :class:`OAuthClient` row as Authlib's ``ClientMixin``."""

    def __init__(self, row: OAuthClient, box: SecretBox) -> None:
        self.row = row
        self._box = box

    @property
    def id(self) -> int:
        return self.row.id

    @property
    def tenant_id(self) -> int:
        return self.row.tenant_id

    @property
    def client_id(self) -> str:
        return self.row.client_uuid

    def secret(self) -> str | None:
        try:
            return self._box.open(self.row.secret_sealed)
        except SealBroken:
            return None

    def get_client_id(self) -> str:
        return self.row.client_uuid

    def get_default_redirect_uri(self) -> str | None:
        uris = self.row.redirect_uris
        return uris[0] if len(uris) == 1 else None

    def get_allowed_scope(self, scope: str | None) -> str | None:
        granted = granted_scopes(self.row.scopes, scope)
        return " ".join(granted) if granted else None

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.row.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        secret = self.secret()
        return secret is not None and hmac.compare_digest(secret.encode(), client_secret.encode())

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in CLIENT_AUTH_METHODS

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code" and "authorization_code" in self.row.grant_types

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.row.grant_types


class CodeRef(AuthorizationCodeMixin):  # type: ignore[misc]
    def __init__(self, row: OAuthCode) -> None:
        self.row = row

    def get_redirect_uri(self) -> str | None:
        return self.row.redirect_uri

    def get_scope(self) -> str:
        return " ".join(self.row.scopes)

    def get_nonce(self) -> str | None:
        return self.row.nonce

    @property
    def code_challenge(self) -> str | None:
        return self.row.code_challenge

    @property
    def code_challenge_method(self) -> str | None:
        return self.row.code_challenge_method


class TokenRef(TokenMixin):  # type: ignore[misc]
    def __init__(self, row: OAuthToken) -> None:
        self.row = row

    def check_client(self, client: ClientRef) -> bool:
        return self.row.client_id == client.id

    def get_scope(self) -> str:
        return " ".join(self.row.scopes)

    def get_expires_in(self) -> int:
        return ACCESS_TOKEN_SECONDS

    def is_expired(self) -> bool:
        expires = self.row.refresh_expires_at
        return expires is not None and expires <= utcnow()

    def is_revoked(self) -> bool:
        return self.row.revoked_at is not None


class OAuthStore:
    """Reads and writes of the OAuth tables through one tenant-scoped synchronous session."""

    def __init__(
        self, session: Session, box: SecretBox, issuer: ApiKeyIssuer, reader: TokenReader
    ) -> None:
        self.session = session
        self.box = box
        self.issuer = issuer
        self.reader = reader

    @property
    def tenant_id(self) -> int | None:
        return tenant_of(self.session)

    @property
    def issuer_url(self) -> str:
        return self.issuer.settings.base_url.rstrip("/")

    def client(self, client_id: object) -> ClientRef | None:
        """The live client with public id ``client_id`` of this (active) tenant."""
        if not isinstance(client_id, str) or not client_id or len(client_id) > 36:
            return None
        if self.tenant_id is None:
            return None
        row = self.session.scalar(
            select(OAuthClient)
            .join(Tenant, Tenant.id == OAuthClient.tenant_id)
            .where(
                of_tenant(OAuthClient, self.tenant_id),
                OAuthClient.client_uuid == client_id,
                OAuthClient.revoked_at.is_(None),
                Tenant.active.is_(True),
            )
        )
        return ClientRef(row, self.box) if row is not None else None

    def user(self, user_id: int | None) -> UserRef | None:
        """An active user of an active tenant, else ``None`` (nothing is issued to them)."""
        tenant_id = self.tenant_id
        if tenant_id is None or user_id is None:
            return None
        row = self.session.execute(
            select(User.active, Tenant.active)
            .join(Tenant, Tenant.id == User.tenant_id)
            .where(of_tenant(User, tenant_id), User.id == user_id)
        ).first()
        if row is None or not (row[0] and row[1]):
            return None
        return UserRef(tenant_id, user_id)

    def save_code(self, code: str, client: ClientRef, user: UserRef, request: Any) -> None:
        data = request.payload.data
        method = data.get("code_challenge_method") if data.get("code_challenge") else None
        self.session.add(
            OAuthCode(
                code_hash=hash_secret(code),
                client_id=client.id,
                user_id=user.user_id,
                redirect_uri=request.payload.redirect_uri,
                scopes=split_scopes(request.scope),
                nonce=(data.get("nonce") or None),
                code_challenge=data.get("code_challenge") or None,
                code_challenge_method=(method or "plain") if data.get("code_challenge") else None,
                expires_at=utcnow() + timedelta(seconds=CODE_SECONDS),
            )
        )
        self.session.flush()

    def take_code(self, code: str, client: ClientRef) -> CodeRef | None:
        """Claim a live code of ``client``; a second use revokes what the first issued."""
        row = self.session.scalar(select(OAuthCode).where(OAuthCode.code_hash == hash_secret(code)))
        if row is None or row.client_id != client.id:
            return None
        now = utcnow()
        if row.used_at is not None:
            self.revoke_from_code(row.id, now)
            return None
        if row.expires_at <= now:
            return None
        claimed = self.session.execute(
            update(OAuthCode)
            .where(OAuthCode.id == row.id, OAuthCode.used_at.is_(None))
            .values(used_at=now)
        )
        if not claimed.rowcount:  # type: ignore[attr-defined]
            self.revoke_from_code(row.id, now)
            return None
        return CodeRef(row)

    def revoke_from_code(self, code_id: int, now: datetime) -> None:
        """Every token a code produced (refreshes included) stops working."""
        rows = self.session.scalars(
            select(OAuthToken).where(
                OAuthToken.origin_code_id == code_id, OAuthToken.revoked_at.is_(None)
            )
        )
        for row in list(rows):
            self.revoke(row, now)

    def revoke(self, row: OAuthToken, now: datetime | None = None) -> None:
        """The token and its access token (the API key) stop working."""
        when = now or utcnow()
        row.revoked_at = when
        self.session.execute(
            update(ApiKey)
            .where(ApiKey.id == row.api_key_id, ApiKey.revoked_at.is_(None))
            .values(revoked_at=when)
        )
        self.session.flush()

    def claim_refresh(self, row: OAuthToken) -> bool:
        """Revoke the refresh token being rotated, once: ``False`` when a concurrent refresh
        claimed it first (``tenantry.core.oauth.rotation``)."""
        return claim_once(self.session, row, OAuthToken.revoked_at, {"revoked_at": utcnow()})

    def refreshable(self, refresh_token: str, client: ClientRef) -> TokenRef | None:
        """The live token behind ``refresh_token`` when ``client`` owns it."""
        row = self.session.scalar(
            select(OAuthToken).where(OAuthToken.refresh_token_hash == hash_secret(refresh_token))
        )
        if row is None or row.client_id != client.id or row.revoked_at is not None:
            return None
        if row.refresh_expires_at is not None and row.refresh_expires_at <= utcnow():
            return None
        if row.user_id is not None and self.user(row.user_id) is None:
            return None
        return TokenRef(row)

    def by_refresh_token(self, token: str) -> TokenRef | None:
        row = self.session.scalar(
            select(OAuthToken).where(OAuthToken.refresh_token_hash == hash_secret(token))
        )
        return TokenRef(row) if row is not None else None

    def by_access_token(self, token: str) -> TokenRef | None:
        """The OAuth token an access token (a signed JWT of this tenant) was issued as."""
        claims = self.reader.verify(token)
        if claims is None or str(claims.get("tenant")) != str(self.tenant_id):
            return None
        row = self.session.scalar(
            select(OAuthToken)
            .join(ApiKey, same_tenant(ApiKey, OAuthToken) & (ApiKey.id == OAuthToken.api_key_id))
            .where(ApiKey.jti_hash == hash_jti(str(claims["jti"])))
        )
        return TokenRef(row) if row is not None else None

    def record(
        self,
        values: dict[str, Any],
        *,
        client: ClientRef,
        user: UserRef | None,
        origin_code: CodeRef | None = None,
        origin_code_id: int | None = None,
    ) -> dict[str, Any]:
        """Issue the access token (an API key) and the refresh token ``values`` asks for;
        fill ``values`` in place with the token response (Authlib returns it)."""
        scopes = split_scopes(values.get("scope"))
        if not scopes:
            raise InvalidScopeError("The client has no scopes to grant.")
        tenant_id = client.tenant_id
        issued = self.issuer.issue_sync(
            self.session,
            tenant_id,
            name=f"OAuth: {client.row.name}"[:255],
            scopes=scopes,
            user_id=user.user_id if user is not None else None,
            lifetime=timedelta(seconds=ACCESS_TOKEN_SECONDS),
            audience=client.client_id,
        )
        refresh = secrets.token_urlsafe(40) if values.pop("refresh", False) else None
        now = utcnow()
        row = OAuthToken(
            client_id=client.id,
            user_id=user.user_id if user is not None else None,
            api_key_id=issued.id,
            refresh_token_hash=hash_secret(refresh) if refresh else None,
            refresh_expires_at=now + timedelta(days=REFRESH_TOKEN_DAYS) if refresh else None,
            scopes=scopes,
            origin_code_id=origin_code.row.id if origin_code is not None else origin_code_id,
        )
        self.session.add(row)
        self.session.flush()
        body: dict[str, Any] = {
            "token_type": "Bearer",
            "expires_in": ACCESS_TOKEN_SECONDS,
            "access_token": issued.token,
            "scope": " ".join(scopes),
        }
        if refresh:
            body["refresh_token"] = refresh
        if user is not None and "openid" in scopes:
            nonce = origin_code.get_nonce() if origin_code is not None else None
            body["id_token"] = self.id_token(client, user, scopes, nonce)
        values.clear()
        values.update(body)
        return values

    def id_token(
        self, client: ClientRef, user: UserRef, scopes: list[str], nonce: str | None
    ) -> str:
        """OpenID Connect's id_token, HS256 with the client's secret (as discovery says)."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer_url,
            "sub": str(user.user_id),
            "aud": client.client_id,
            "iat": now,
            "exp": now + ID_TOKEN_SECONDS,
            "auth_time": now,
            "tenant": str(user.tenant_id),
        }
        if nonce:
            claims["nonce"] = nonce
        claims.update(self.userinfo(user.user_id, scopes))
        claims["sub"] = str(user.user_id)
        return jwt.encode(claims, client.secret() or "", algorithm="HS256")

    def userinfo(self, user_id: int, scopes: list[str]) -> dict[str, Any]:
        """The user's claims, without ``email*`` unless ``email`` and without the profile
        claims unless ``profile`` was granted (``*`` grants both)."""
        claims = self.issuer.user_claims(self.session, user_id)
        claims["id"] = user_id
        claims["tenant"] = str(self.tenant_id)
        wildcard = "*" in scopes
        if not (wildcard or "email" in scopes):
            claims.pop("email", None)
            claims.pop("email_verified", None)
        if not (wildcard or "profile" in scopes):
            for name in PROFILE_CLAIMS:
                claims.pop(name, None)
        return claims

    def revoke_user_tokens(self, user_id: int, client_id: int | None = None) -> int:
        """Revoke the user's live OAuth tokens (of one client, when given)."""
        query = select(OAuthToken).where(
            OAuthToken.user_id == user_id, OAuthToken.revoked_at.is_(None)
        )
        if client_id is not None:
            query = query.where(OAuthToken.client_id == client_id)
        rows = list(self.session.scalars(query))
        now = utcnow()
        for row in rows:
            self.revoke(row, now)
        return len(rows)


PROFILE_CLAIMS = (
    "name",
    "preferred_username",
    "profile",
    "picture",
    "phone_number",
    "roles",
    "locale",
    "zoneinfo",
    "updated_at",
)
"""The claims the ``profile`` scope releases (OIDC Core §5.4, plus PERSCOM's ``roles``)."""
