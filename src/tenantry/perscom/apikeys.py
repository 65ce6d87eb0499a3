"""PERSCOM API keys: Passport-style personal access tokens, i.e. signed JWTs with a row each.

A key is signed RS256 with a key pair the server generates on first start and keeps in the
data directory (``perscom_jwt_private.pem``, mode 0600); HS256 with the app secret is
accepted too. Every key has a stored row holding the SHA-256 of its ``jti``, its scopes,
expiry and revocation, so keys can be listed and revoked; a token whose row is missing,
revoked or expired is refused even when its signature is good.
"""

from __future__ import annotations

import hashlib
import os
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey
from sqlalchemy import JSON, BigInteger, Index, String, UniqueConstraint, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, Session, mapped_column

from tenantry.core.base import Base, TenantOwned, tenant_fk, utcnow
from tenantry.core.errors import FieldError, NotFound, ValidationFailed
from tenantry.core.identity.models import Role, User, UserRole
from tenantry.core.identity.permissions import Permission
from tenantry.core.resources.scoped import same_tenant
from tenantry.settings import Settings

PRIVATE_KEY_FILE = "perscom_jwt_private.pem"
ALGORITHMS = ("RS256", "HS256")
DEFAULT_LIFETIME_DAYS = 365
"""Passport's default for personal access tokens."""
PERSONAL_ACCESS_CLIENT = str(uuid.uuid5(uuid.NAMESPACE_URL, "tenantry:perscom:personal-access"))
"""The ``aud`` of every key: Passport's personal access client (a UUID there too)."""

MODELS = [
    "announcement",
    "assignmentrecord",
    "attachment",
    "award",
    "awardrecord",
    "calendar",
    "category",
    "combatrecord",
    "comment",
    "competency",
    "credential",
    "document",
    "event",
    "field",
    "form",
    "group",
    "image",
    "issuer",
    "message",
    "newsfeed",
    "position",
    "qualification",
    "qualificationrecord",
    "rank",
    "rankrecord",
    "servicerecord",
    "slot",
    "specialty",
    "status",
    "statusrecord",
    "submission",
    "tag",
    "task",
    "trainingrecord",
    "unit",
    "user",
]
VERBS = ("view", "create", "update", "delete")
EXTRA_SCOPES = (
    "clear:cache",
    "view:settings",
    "profile",
    "email",
    "openid",
    "manage:api",
    "manage:webhook",
    "view:log",
)
SCOPES: tuple[str, ...] = (
    "*",
    *(f"{verb}:{model}" for model in MODELS for verb in VERBS),
    *EXTRA_SCOPES,
)
"""Every scope a key may carry (reference §2.2, plus the v1-era ``manage:api``,
``manage:webhook`` and ``view:log``, and ``*:tag``, which Tenantry's extensions need)."""


def permissions() -> list[Permission]:
    """The PERSCOM scopes as core permissions (``*`` is a wildcard, not a permission)."""
    return [
        Permission(
            name=scope,
            face="perscom",
            description=f"PERSCOM API scope {scope}",
            read_only=scope.startswith("view:") or scope in ("profile", "email", "openid"),
        )
        for scope in SCOPES
        if scope != "*"
    ]


class ApiKey(TenantOwned, Base):
    """One issued key; the token itself is never stored, only the hash of its ``jti``."""

    __tablename__ = "perscom_api_keys"
    __table_args__ = (
        UniqueConstraint("tenant_id", "jti_hash"),
        tenant_fk(["user_id"], "users", ondelete="CASCADE"),
        Index("ix_perscom_api_keys_user", "tenant_id", "user_id"),
    )

    name: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    jti_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[str]] = mapped_column(JSON)
    algorithm: Mapped[str] = mapped_column(String(10), default="RS256")
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


def hash_jti(jti: str) -> str:
    return hashlib.sha256(jti.encode()).hexdigest()


@dataclass(frozen=True)
class SigningKeys:
    """The RS256 key pair and the HS256 secret, loaded once per process."""

    private_key: RSAPrivateKey
    public_key: RSAPublicKey
    secret: str

    @classmethod
    def load(cls, settings: Settings) -> SigningKeys:
        """Read the key pair from the data dir, generating it (mode 0600) on first start."""
        path = settings.data_dir / PRIVATE_KEY_FILE
        private = _read_or_create(path)
        return cls(private, private.public_key(), settings.effective_secret_key)

    def public_pem(self) -> bytes:
        return self.public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


def _read_or_create(path: Path) -> RSAPrivateKey:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process won the race; use its key
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(pem)
            return key
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, RSAPrivateKey):
        raise ValueError(f"{path} does not hold an RSA private key")
    return loaded


def check_scopes(scopes: Iterable[str]) -> list[str]:
    """The requested scopes, each one known; a 422 naming the unknown ones otherwise."""
    wanted = [s.strip() for s in scopes if s.strip()]
    unknown = [s for s in wanted if s not in SCOPES]
    if unknown:
        raise ValidationFailed(
            f"Unknown scopes: {', '.join(unknown)}.",
            [FieldError("scopes", f"unknown scope {s!r}", s) for s in unknown],
        )
    if not wanted:
        raise ValidationFailed("A key needs at least one scope.", [FieldError("scopes", "empty")])
    return list(dict.fromkeys(wanted))


@dataclass(frozen=True)
class IssuedKey:
    id: int
    token: str
    expires_at: datetime | None = None


class ApiKeyIssuer:
    """Creates keys: a row in the tenant, and the signed token handed out once."""

    def __init__(self, keys: SigningKeys, settings: Settings) -> None:
        self.keys = keys
        self.settings = settings

    async def issue(
        self,
        session: AsyncSession,
        tenant_id: int,
        *,
        name: str,
        scopes: Sequence[str],
        user_id: int | None = None,
        expires_in_days: int | None = DEFAULT_LIFETIME_DAYS,
        algorithm: str = "RS256",
    ) -> IssuedKey:
        """Issue a key in ``session`` (a tenant session for ``tenant_id``). ``None`` is a
        key without expiry (internal callers only); a lifetime must otherwise be positive,
        so that ``0`` never reads as "forever"."""
        if expires_in_days is not None and expires_in_days < 1:
            raise ValueError("an API key lives at least one day")
        lifetime = timedelta(days=expires_in_days) if expires_in_days is not None else None

        def issue(sync_session: Session) -> IssuedKey:
            return self.issue_sync(
                sync_session,
                tenant_id,
                name=name,
                scopes=scopes,
                user_id=user_id,
                lifetime=lifetime,
                algorithm=algorithm,
            )

        return await session.run_sync(issue)

    def issue_sync(
        self,
        session: Session,
        tenant_id: int,
        *,
        name: str,
        scopes: Sequence[str],
        user_id: int | None = None,
        lifetime: timedelta | None,
        algorithm: str = "RS256",
        audience: str = PERSONAL_ACCESS_CLIENT,
    ) -> IssuedKey:
        """The same on a synchronous session (OAuth's token endpoint runs inside Authlib)."""
        if algorithm not in ALGORITHMS:
            raise ValidationFailed(f"Unknown algorithm {algorithm!r}.")
        name = name.strip()
        if not name or len(name) > 255:
            raise ValidationFailed("A key needs a name of 1 to 255 characters.")
        granted = check_scopes(scopes)
        now = utcnow().replace(microsecond=0)
        expires = now + lifetime if lifetime else None
        jti = uuid.uuid4().hex + uuid.uuid4().hex
        claims: dict[str, Any] = {
            "aud": audience,
            "jti": jti,
            "iat": int(now.timestamp()),
            "nbf": int(now.timestamp()),
            "scopes": granted,
            "tenant": str(tenant_id),
        }
        if expires is not None:
            claims["exp"] = int(expires.timestamp())
        if user_id is not None:
            claims.update(self.user_claims(session, user_id))
        row = ApiKey(
            tenant_id=tenant_id,
            name=name,
            user_id=user_id,
            jti_hash=hash_jti(jti),
            scopes=granted,
            algorithm=algorithm,
            expires_at=expires,
        )
        session.add(row)
        session.flush()
        signing_key: Any = self.keys.private_key if algorithm == "RS256" else self.keys.secret
        token = jwt.encode(claims, signing_key, algorithm=algorithm)
        return IssuedKey(row.id, token, expires)

    def user_claims(self, session: Session, user_id: int) -> dict[str, Any]:
        """The user's claims as PERSCOM puts them in tokens (and OIDC's userinfo returns)."""
        user = session.scalar(select(User).where(User.id == user_id))
        if user is None:
            raise NotFound(f"No user with id {user_id} in this tenant.")
        roles = session.scalars(
            select(Role.name)
            .join(UserRole, (UserRole.role_id == Role.id) & (same_tenant(UserRole, Role)))
            .where(UserRole.user_id == user_id, UserRole.scope_id.is_(None))
        )
        return {
            "sub": str(user.id),
            "name": user.name,
            "preferred_username": user.email,
            "email": user.email,
            "email_verified": user.email_verified_at is not None,
            "profile": f"{self.settings.base_url.rstrip('/')}/v2/users/{user.id}",
            "picture": None,
            "phone_number": None,
            "roles": list(roles),
            "locale": "en",
            "zoneinfo": user.timezone,
            "updated_at": int(user.updated_at.timestamp()),
        }


async def list_keys(session: AsyncSession) -> list[ApiKey]:
    return list(await session.scalars(select(ApiKey).order_by(ApiKey.id)))


async def revoke_key(session: AsyncSession, key_id: int) -> ApiKey:
    key = await session.scalar(select(ApiKey).where(ApiKey.id == key_id))
    if key is None:
        raise NotFound(f"No API key with id {key_id} in this tenant.")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        await session.flush()
    return key


class TokenReader:
    """Verifies signatures (no database): RS256 with our key, or HS256 with the secret.

    Verified claims are remembered per token string (a bounded LRU): checking an RS256
    signature and PyJWT's per-character segment checks cost more than the rest of a
    cached read. Only pure results are kept; expiry is re-checked on every use, and
    revocation is never cached (the key's row is read on every request).
    """

    CACHE_SIZE = 4096
    LEEWAY = 30

    def __init__(self, keys: SigningKeys) -> None:
        self.keys = keys
        self._verified: OrderedDict[str, dict[str, Any]] = OrderedDict()

    def verify(self, token: str) -> dict[str, Any] | None:
        """The claims of a well-signed, unexpired token with a ``jti``; else ``None``."""
        claims = self._verified.get(token)
        if claims is not None:
            self._verified.move_to_end(token)
            expires = claims.get("exp")
            if isinstance(expires, int | float) and expires + self.LEEWAY < time.time():
                del self._verified[token]
                return None
            return claims
        claims = self._verify(token)
        if claims is not None:
            self._verified[token] = claims
            if len(self._verified) > self.CACHE_SIZE:
                self._verified.popitem(last=False)
        return claims

    def _verify(self, token: str) -> dict[str, Any] | None:
        try:
            algorithm = jwt.get_unverified_header(token).get("alg")
            key: Any
            if algorithm == "RS256":
                key = self.keys.public_key
            elif algorithm == "HS256":
                key = self.keys.secret
            else:
                return None
            claims = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                options={"require": ["jti"], "verify_aud": False},
                leeway=self.LEEWAY,
            )
        except (jwt.PyJWTError, ValueError, TypeError):
            return None
        return claims if isinstance(claims.get("jti"), str) else None

    @staticmethod
    def unverified_tenant(token: str) -> str | None:
        """The ``tenant`` claim read without verifying (tenant resolution, §1.3)."""
        try:
            claims = jwt.decode(token, options={"verify_signature": False})
        except (jwt.PyJWTError, ValueError, TypeError):
            return None
        tenant = claims.get("tenant") if isinstance(claims, dict) else None
        return (
            str(tenant) if isinstance(tenant, str | int) and not isinstance(tenant, bool) else None
        )
