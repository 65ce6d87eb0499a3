"""The way in: tenant resolution (§1.3), rate limits (§5.3) and API-key authentication.

Signature checks and rate limits need no database, so they run first; the key's row (not
revoked, not expired, of this tenant, its user not disabled) is read inside the request's own
tenant transaction, as its first statement, so an authenticated request costs one extra query,
not a session. A disabled user's keys are refused at once and work again if they are enabled.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select
from starlette.requests import Request

from tenantry.core.audit import act_as, actor_of_principal
from tenantry.core.auth import Credential, Principal
from tenantry.core.base import utcnow
from tenantry.core.errors import RateLimited, Unauthenticated, request_id_of
from tenantry.core.identity.models import User
from tenantry.core.platform import Platform
from tenantry.core.ratelimit import RateLimitResult, retry_after_headers
from tenantry.core.resources.scoped import of_tenant
from tenantry.core.resources.sql import Database, StatementTexts, mapping
from tenantry.core.storage.links import FileLinks
from tenantry.core.storage.local import LocalStorage
from tenantry.core.tenancy import Tenant
from tenantry.core.unit import Unit, open_unit
from tenantry.perscom.activity.recorder import PRINCIPAL_STATE_KEY
from tenantry.perscom.apikeys import ApiKey, TokenReader, hash_jti
from tenantry.perscom.engine.context import Call
from tenantry.perscom.engine.declaration import RenderContext
from tenantry.perscom.engine.runtime import INT64_MAX, Registry
from tenantry.perscom.errors import TRACE_STATE_KEY
from tenantry.perscom.limits import IP_RATE, KEY_RATE
from tenantry.perscom.webhooks.dispatch import dispatch

UNAUTHENTICATED = (
    "You are not authenticated. Please provide a valid API key that contains your PERSCOM ID "
    "to continue."
)
RATE_LIMITED = "You have exceeded the API rate limit. Please wait a minute before trying again."


_KEYS = ApiKey.__table__
_TENANTS = Tenant.__table__
_USERS = User.__table__
_KEY_ROW = (
    select(
        _KEYS.c.id,
        _KEYS.c.user_id,
        _KEYS.c.scopes,
        _KEYS.c.expires_at,
        _KEYS.c.revoked_at,
        _TENANTS.c.active,
        _USERS.c.active.label("user_active"),
    )
    .select_from(
        _KEYS.join(_TENANTS, _TENANTS.c.id == _KEYS.c.tenant_id).outerjoin(
            _USERS, (_USERS.c.tenant_id == _KEYS.c.tenant_id) & (_USERS.c.id == _KEYS.c.user_id)
        )
    )
    .where(of_tenant(_KEYS, bindparam("tenant")), _KEYS.c.jti_hash == bindparam("jti_hash"))
)


@dataclass(frozen=True)
class Caller:
    """What the request claims before the database is asked: tenant and verified token."""

    tenant_id: int | None
    jti_hash: str | None


def _tenant_number(value: str | None) -> int | None:
    if value is None:
        return None
    text = value.strip()
    if not text.isdigit():
        return None
    number = int(text)
    return number if 0 < number <= INT64_MAX else None


def _claim_text(value: object) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    return str(value)


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return token.strip()
    return None


class Gate:
    """Opens a :class:`Call` for a request, or refuses it with 401 or 429."""

    def __init__(
        self,
        platform: Platform,
        registry: Registry,
        reader: TokenReader,
        *,
        key_rate: str = KEY_RATE,
        ip_rate: str = IP_RATE,
    ) -> None:
        self.platform = platform
        self.registry = registry
        self.reader = reader
        self.key_rate = key_rate
        self.ip_rate = ip_rate
        self.dialect = "sqlite" if platform.settings.is_sqlite else "postgresql"
        self.texts: StatementTexts | None = None
        """Set by :meth:`prepare_reads` on PostgreSQL: reads then bypass SQLAlchemy."""
        storage = platform.storage
        settings = platform.settings
        self._signed_url = FileLinks(settings.base_url, settings.effective_secret_key).url
        # The embedded backend serves no unsigned reads: its "public" URL of an image or a
        # photo is the signed link, or clients could not read back what they uploaded.
        local = isinstance(storage, LocalStorage)
        self._public_url = self._signed_url if local else storage.public_url

        async def put(key: str, data: bytes, content_type: str) -> None:
            await storage.put(key, data, content_type)

        self._put = put
        self._delete = storage.delete

    def prepare_reads(self, texts: StatementTexts, statements: list[Any]) -> None:
        """Use the driver directly for reads; compile the long-lived statements now."""
        for statement in [_KEY_ROW, *statements]:
            texts.prepare(statement)
        self.texts = texts

    def identify(self, request: Request) -> Caller:
        """Tenant by the reference's order, and the bearer token's verified ``jti``."""
        query_key = request.query_params.get("apikey")
        token = _bearer(request) or query_key
        claims = self.reader.verify(token) if token else None
        if query_key:
            tenant_text = self.reader.unverified_tenant(query_key)
        elif "x-perscom-id" in request.headers:
            tenant_text = request.headers["x-perscom-id"]
        elif claims is not None:
            tenant_text = _claim_text(claims.get("tenant"))
        else:
            tenant_text = None
        tenant_id = _tenant_number(tenant_text)
        if claims is None or tenant_id is None:
            return Caller(tenant_id, None)
        claimed = claims.get("tenant")
        if claimed is not None and _tenant_number(_claim_text(claimed)) != tenant_id:
            return Caller(tenant_id, None)  # a key of tenant A presented for tenant B
        return Caller(tenant_id, hash_jti(str(claims["jti"])))

    async def throttle(self, request: Request, caller: Caller) -> RateLimitResult:
        """1000/min per API key, 100/min per IP for requests without a valid one."""
        if caller.jti_hash is not None:
            result = await self.platform.limiter.hit(self.key_rate, "perscom-key", caller.jti_hash)
        else:
            host = request.client.host if request.client else "unknown"
            result = await self.platform.limiter.hit(self.ip_rate, "perscom-ip", host)
        if not result.allowed:
            headers = retry_after_headers(result)
            headers["X-RateLimit-Reset"] = str(int(result.reset_at))
            raise RateLimited(RATE_LIMITED, headers=headers)
        return result

    @asynccontextmanager
    async def open(self, request: Request, *, writing: bool = True) -> AsyncIterator[Call]:
        """Authenticate, then open the tenant unit the action runs in (read-only calls on
        PostgreSQL run on the driver, see :mod:`tenantry.core.unit`)."""
        caller = self.identify(request)
        limit = await self.throttle(request, caller)
        if caller.tenant_id is None or caller.jti_hash is None:
            raise Unauthenticated(UNAUTHENTICATED)
        headers = {
            "X-RateLimit-Limit": str(limit.limit),
            "X-RateLimit-Remaining": str(limit.remaining),
        }
        read_only = not writing and self.texts is not None
        async with open_unit(
            self.platform, caller.tenant_id, read_only=read_only, texts=self.texts
        ) as unit:
            principal = await self._principal(unit.db, caller.tenant_id, caller.jti_hash)
            request.scope.setdefault("state", {})[PRINCIPAL_STATE_KEY] = principal
            if unit.writer is not None:
                act_as(unit.session, actor_of_principal(principal))
            call = self._call(request, unit, principal, headers)
            yield call
            if call.announcements:
                await announce_writes(call)
        for path in call.files_to_delete:
            await self._delete(path)

    async def _principal(self, db: Database, tenant_id: int, jti_hash: str) -> Principal:
        """The key's principal: its row read in the request's transaction, or the same
        answer given less than a moment ago (:mod:`tenantry.core.credential_cache`)."""
        cache = self.platform.credentials
        cached = cache.get(tenant_id, ("perscom-key", jti_hash))
        if isinstance(cached, Principal):
            return cached
        epoch = cache.epoch(tenant_id)
        row = await db.first(_KEY_ROW, {"tenant": tenant_id, "jti_hash": jti_hash})
        if row is None:
            raise Unauthenticated(UNAUTHENTICATED)
        key = mapping(row)
        expires = key["expires_at"]
        if key["revoked_at"] is not None or not key["active"]:
            raise Unauthenticated(UNAUTHENTICATED)
        if key["user_id"] is not None and not key["user_active"]:
            raise Unauthenticated(UNAUTHENTICATED)  # its user is disabled (or gone)
        if expires is not None and expires <= utcnow():
            raise Unauthenticated(UNAUTHENTICATED)
        principal = Principal(
            tenant_id=tenant_id,
            user_id=key["user_id"],
            permissions=frozenset(key["scopes"] or ()),
            credential=Credential("api_key", key["id"]),
        )
        cache.put(tenant_id, ("perscom-key", jti_hash), principal, epoch=epoch, expires_at=expires)
        return principal

    def _call(
        self, request: Request, unit: Unit, principal: Principal, headers: dict[str, str]
    ) -> Call:
        return Call(
            request=request,
            registry=self.registry,
            tenant_id=unit.tenant_id,
            principal=principal,
            db=unit.db,
            render=RenderContext(self._public_url, time.time(), self._signed_url),
            storage_put=self._put,
            storage_delete=self._delete,
            dialect=self.dialect,
            response_headers=headers,
            writer=unit.writer,
        )


async def announce_writes(call: Call) -> None:
    """Hand the call's announcements to the webhooks, in its transaction (before commit)."""
    state = call.request.scope.get("state", {})
    await dispatch(
        call.session,
        call.tenant_id,
        call.announcements,
        request_id=request_id_of(call.request),
        trace_id=state.get(TRACE_STATE_KEY),
    )
