"""The OAuth tables as Authlib sees them, and the one place tokens are issued.

Authlib's server is synchronous, so this runs on the synchronous face of a tenant-scoped
``AsyncSession`` (``await session.run_sync(...)``): SQLAlchemy bridges each query back to
the async driver, nothing blocks the event loop, and the tenant filter and row-level
security apply as everywhere else.

:meth:`OAuthStore.issue` (used by ``tenantry token create``) and Authlib's token endpoint
go through the same two steps, :func:`new_token_values` then :meth:`OAuthStore.record`, so
the CLI prints exactly what the token endpoint answers.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime, timedelta
from typing import Any

from authlib.oauth2.rfc6749 import AuthorizationCodeMixin, ClientMixin, TokenMixin
from authlib.oauth2.rfc6749.errors import InvalidGrantError
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from tenantry.core.base import utcnow
from tenantry.core.identity.models import User
from tenantry.core.ids import allocate_ids
from tenantry.core.oauth.owner import UserRef
from tenantry.core.oauth.rotation import claim_once
from tenantry.core.resources.scoped import of_tenant
from tenantry.core.sealing import SealBroken, SecretBox
from tenantry.core.tenancy import Tenant, tenant_of
from tenantry.percolate import ids
from tenantry.percolate.api.wire import timestamp
from tenantry.percolate.oauth.credentials import hash_secret, new_credential
from tenantry.percolate.oauth.models import OAuthClient, OAuthCode, OAuthGrant, OAuthToken

ACCESS_TOKEN_SECONDS = 2_592_000
"""30 days, as Percolate's own token responses say (``expires_in``)."""
CODE_SECONDS = 300
"""Authorization codes die 300 seconds after issue (seed)."""
REFRESH_GRACE = timedelta(days=14)
"""A token may be refreshed until 14 days after it expired (seed)."""
GRANT_TYPES = frozenset({"authorization_code", "refresh_token"})
CLIENT_AUTH_METHODS = frozenset({"client_secret_basic", "client_secret_post"})

__all__ = [
    "ACCESS_TOKEN_SECONDS",
    "CODE_SECONDS",
    "REFRESH_GRACE",
    "ClientRef",
    "CodeRef",
    "OAuthStore",
    "TokenRef",
    "new_token_values",
]


def new_token_values(tenant_id: int) -> dict[str, Any]:
    """Fresh secrets for one token response (Authlib's token generator, and the CLI's)."""
    return {
        "token_type": "bearer",
        "access_token": new_credential(tenant_id),
        "refresh_token": secrets.token_urlsafe(32),
        "expires_in": ACCESS_TOKEN_SECONDS,
    }


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
        return ids.encode(ids.CLIENT, self.row.id)

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return self.row.redirect_uri

    def get_allowed_scope(self, scope: str | None) -> str:
        return ""  # Percolate has no OAuth scopes: a token acts as its user

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri == self.row.redirect_uri

    def check_client_secret(self, client_secret: str) -> bool:
        try:
            secret = self._box.open(self.row.secret_sealed)
        except SealBroken:
            return False
        return hmac.compare_digest(secret.encode(), client_secret.encode())

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return endpoint == "token" and method in CLIENT_AUTH_METHODS

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in GRANT_TYPES


class CodeRef(AuthorizationCodeMixin):  # type: ignore[misc]
    def __init__(self, row: OAuthCode) -> None:
        self.row = row

    def get_redirect_uri(self) -> str | None:
        return self.row.redirect_uri

    def get_scope(self) -> str:
        return ""

    @property
    def code_challenge(self) -> str | None:
        return self.row.code_challenge

    @property
    def code_challenge_method(self) -> str | None:
        return "S256" if self.row.code_challenge else None


class TokenRef(TokenMixin):  # type: ignore[misc]
    def __init__(self, row: OAuthToken) -> None:
        self.row = row

    def check_client(self, client: ClientRef) -> bool:
        return self.row.client_id == client.id

    def get_scope(self) -> str:
        return ""

    def get_expires_in(self) -> int:
        return ACCESS_TOKEN_SECONDS

    def is_expired(self) -> bool:
        return self.row.expires_at <= utcnow()

    def is_revoked(self) -> bool:
        return self.row.disabled_at is not None


class OAuthStore:
    """Reads and writes of the OAuth tables through one tenant-scoped synchronous session."""

    def __init__(self, session: Session, box: SecretBox) -> None:
        self.session = session
        self.box = box

    @property
    def tenant_id(self) -> int | None:
        return tenant_of(self.session)

    def client(self, client_id: object) -> ClientRef | None:
        """The active client ``client:N`` (or bare ``N``) of this tenant, if it is active."""
        key = ids.parse(ids.CLIENT, client_id, bare=True)
        if key is None or self.tenant_id is None:
            return None
        row = self.session.scalar(
            select(OAuthClient)
            .join(Tenant, Tenant.id == OAuthClient.tenant_id)
            .where(
                of_tenant(OAuthClient, self.tenant_id),
                OAuthClient.id == key,
                OAuthClient.active.is_(True),
                Tenant.active.is_(True),
            )
        )
        return ClientRef(row, self.box) if row is not None else None

    def user(self, user_id: int) -> UserRef | None:
        """An active user of an active tenant, else ``None`` (nothing is issued to them)."""
        tenant_id = self.tenant_id
        if tenant_id is None:
            return None
        row = self.session.execute(
            select(User.active, Tenant.active)
            .join(Tenant, Tenant.id == User.tenant_id)
            .where(of_tenant(User, tenant_id), User.id == user_id)
        ).first()
        if row is None or not (row[0] and row[1]):
            return None
        return UserRef(tenant_id, user_id)

    def save_code(
        self,
        code: str,
        client: ClientRef,
        user: UserRef,
        redirect_uri: str | None,
        code_challenge: str | None = None,
    ) -> None:
        self.session.add(
            OAuthCode(
                code_hash=hash_secret(code),
                client_id=client.id,
                user_id=user.user_id,
                redirect_uri=redirect_uri,
                code_challenge=code_challenge,
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
            self._revoke_from_code(row.id, now)
            return None
        if row.expires_at <= now:
            return None
        claimed = self.session.execute(
            update(OAuthCode)
            .where(OAuthCode.id == row.id, OAuthCode.used_at.is_(None))
            .values(used_at=now)
        )
        if not claimed.rowcount:  # type: ignore[attr-defined]
            self._revoke_from_code(row.id, now)  # a concurrent request used it first
            return None
        return CodeRef(row)

    def _revoke_from_code(self, code_id: int, now: datetime) -> None:
        self.session.execute(
            update(OAuthToken)
            .where(OAuthToken.origin_code_id == code_id, OAuthToken.disabled_at.is_(None))
            .values(disabled_at=now, disabled_reason="code_reused")
        )

    def refreshable(self, refresh_token: str, client: ClientRef) -> TokenRef | None:
        """The token behind ``refresh_token`` when it may still be refreshed (seed rules)."""
        row = self.session.scalar(
            select(OAuthToken).where(OAuthToken.refresh_token_hash == hash_secret(refresh_token))
        )
        if row is None or row.client_id != client.id or row.disabled_at is not None:
            return None
        if utcnow() > row.expires_at + REFRESH_GRACE:
            return None
        if self.user(row.user_id) is None:
            return None
        return TokenRef(row)

    def issue(self, client: ClientRef, user: UserRef) -> dict[str, Any]:
        """Issue a token outside any grant (the CLI); same path as the token endpoint."""
        return self.record(new_token_values(client.tenant_id), client=client, user=user)

    def record(
        self,
        values: dict[str, Any],
        *,
        client: ClientRef,
        user: UserRef,
        origin_code_id: int | None = None,
        replaces: OAuthToken | None = None,
    ) -> dict[str, Any]:
        """Store ``values`` (hashed), disable the user's previous token for this client, and
        turn ``values`` into Percolate's token response, in place (Authlib returns it)."""
        now = utcnow()
        grant = self._locked_grant(user.user_id, client.id)
        if replaces is not None and not claim_once(
            self.session,
            replaces,
            OAuthToken.disabled_at,
            {"disabled_at": now, "disabled_reason": "superseded"},
        ):
            raise InvalidGrantError("The refresh token has already been used.")
        self.session.execute(
            update(OAuthToken)
            .where(
                OAuthToken.user_id == user.user_id,
                OAuthToken.client_id == client.id,
                OAuthToken.disabled_at.is_(None),
            )
            .values(disabled_at=now, disabled_reason="superseded")
        )
        expires_at = now + timedelta(seconds=ACCESS_TOKEN_SECONDS)
        row = OAuthToken(
            grant_id=grant.id,
            client_id=client.id,
            user_id=user.user_id,
            access_token_hash=hash_secret(values["access_token"]),
            refresh_token_hash=hash_secret(values["refresh_token"]),
            expires_at=expires_at,
            origin_code_id=origin_code_id,
            created_at=now,
            updated_at=now,
        )
        self.session.add(row)
        self.session.flush()
        body = {
            "id": ids.encode(ids.TOKEN, row.id),
            "token_type": "bearer",
            "access_token": values["access_token"],
            "refresh_token": values["refresh_token"],
            "expires_in": ACCESS_TOKEN_SECONDS,
            "expires_at": timestamp(expires_at),
            "user_id": ids.encode(ids.USER, user.user_id),
            "grant_id": ids.encode(ids.GRANT, grant.id),
            "updated_at": timestamp(now),
            "authorized_tenant_id": ids.encode(ids.ACCOUNT, client.tenant_id),
        }
        values.clear()
        values.update(body)
        return values

    def _locked_grant(self, user_id: int, client_id: int) -> OAuthGrant:
        """The user's grant to the client, created if needed and locked for this transaction,
        so concurrent issues for one (user, client) take turns."""
        tenant_id = self.tenant_id
        assert tenant_id is not None
        dialect = self.session.get_bind().dialect.name
        query = select(OAuthGrant).where(
            OAuthGrant.user_id == user_id, OAuthGrant.client_id == client_id
        )
        if dialect == "postgresql":
            query = query.with_for_update()
        grant = self.session.scalar(query)
        if grant is not None:
            return grant
        now = utcnow()
        row = {
            "tenant_id": tenant_id,
            "id": allocate_ids(self.session.connection())[0],
            "user_id": user_id,
            "client_id": client_id,
            "created_at": now,
            "updated_at": now,
        }
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        self.session.execute(
            insert(OAuthGrant)
            .values(**row)
            .on_conflict_do_nothing(index_elements=["tenant_id", "user_id", "client_id"])
        )
        grant = self.session.scalar(query)
        assert grant is not None
        return grant
