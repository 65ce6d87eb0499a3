"""The way in: tenant resolution (§1.3), rate limits (§5.3) and API-key authentication.

Signature checks and rate limits need no database, so they run first; the key's row (not
revoked, not expired, of this tenant) is read inside the request's own tenant transaction,
as its first statement, so an authenticated request costs one extra query, not a session.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from starlette.requests import Request

from tenantry.core.auth import Credential, Principal
from tenantry.core.base import utcnow
from tenantry.core.errors import RateLimited, ServiceUnavailable, Unauthenticated
from tenantry.core.platform import Platform
from tenantry.core.ratelimit import RateLimitResult, retry_after_headers
from tenantry.core.resources.sql import (
    AlchemyDatabase,
    AsyncpgDatabase,
    Database,
    StatementTexts,
    json_value,
    mapping,
)
from tenantry.core.tenancy import RLS_SETTING, Tenant, tenant_session
from tenantry.perscom.apikeys import ApiKey, TokenReader, hash_jti
from tenantry.perscom.engine.context import Call
from tenantry.perscom.engine.declaration import RenderContext
from tenantry.perscom.engine.runtime import INT64_MAX, Registry

UNAUTHENTICATED = (
    "You are not authenticated. Please provide a valid API key that contains your PERSCOM ID "
    "to continue."
)
RATE_LIMITED = "You have exceeded the API rate limit. Please wait a minute before trying again."
KEY_RATE = "1000/minute"
IP_RATE = "100/minute"


class PerscomSettings(BaseSettings):
    """The face's own knobs (``TENANTRY_PERSCOM_*``): the rate limits of §5.3.

    Benchmarks lift them (one key sends far more than 1000 requests a minute there).
    """

    model_config = SettingsConfigDict(env_prefix="TENANTRY_PERSCOM_", extra="ignore")

    key_rate: str = KEY_RATE
    ip_rate: str = IP_RATE


_KEYS = ApiKey.__table__
_TENANTS = Tenant.__table__
_KEY_ROW = (
    select(
        _KEYS.c.id,
        _KEYS.c.user_id,
        _KEYS.c.scopes,
        _KEYS.c.expires_at,
        _KEYS.c.revoked_at,
        _TENANTS.c.active,
    )
    .select_from(_KEYS.join(_TENANTS, _TENANTS.c.id == _KEYS.c.tenant_id))
    .where(_KEYS.c.tenant_id == bindparam("tenant"), _KEYS.c.jti_hash == bindparam("jti_hash"))
)


_CONNECTION_LOST = (asyncpg.exceptions.PostgresConnectionError, ConnectionError, OSError)
"""What the driver raises when the database goes away (SQLAlchemy would say DBAPIError)."""


async def _discard(conn: AsyncConnection) -> None:
    """Tell the pool this connection is dead (it never saw the driver calls that failed)."""
    with contextlib.suppress(Exception):
        await conn.invalidate()


async def _begin_read(conn: AsyncConnection, tenant_id: int) -> Any:
    """Start the read transaction (one round trip) on a live driver connection.

    Pooled connections may have died while idle (the pool does not ping; after a database
    restart they all have): each dead one is dropped and the next is tried, until a live
    or fresh connection answers, or one more than the pool held have failed.
    """
    # The tenant id is an int we parsed, never client text.
    begin = f"BEGIN READ ONLY; SELECT set_config('{RLS_SETTING}', '{int(tenant_id)}', true)"
    checked_in = getattr(conn.engine.pool, "checkedin", lambda: 0)()
    attempts = 2 + int(checked_in)
    for attempt in range(1, attempts + 1):
        driver: Any = (await conn.get_raw_connection()).driver_connection
        try:
            await driver.execute(begin)
        except Exception as exc:
            if not (driver.is_closed() or isinstance(exc, _CONNECTION_LOST)):
                raise
            await _discard(conn)
            if attempt == attempts:
                raise _unavailable() from exc
        else:
            return driver
    raise AssertionError("unreachable")


async def _finish(conn: AsyncConnection, driver: Any, *, commit: bool) -> None:
    """End a read transaction; a connection that died is dropped, not returned to the pool.

    A read that already has its rows does not fail because COMMIT could not be sent: the
    transaction was read-only, so there is nothing to lose.
    """
    if not driver.is_closed():
        try:
            await driver.execute("COMMIT" if commit else "ROLLBACK")
        except Exception:
            if not driver.is_closed():
                raise
    if driver.is_closed():
        await _discard(conn)


def _unavailable() -> ServiceUnavailable:
    return ServiceUnavailable(
        "The service is temporarily unavailable.", headers={"Retry-After": "5"}
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
        self._public_url = storage.public_url

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
        """Authenticate, then open the tenant transaction the action runs in.

        Writing calls (and every call on SQLite) run in ``tenant_session``. Reading calls
        on PostgreSQL run on the pooled driver connection in a ``READ ONLY`` transaction
        that sets the same row-level-security setting ``tenant_session`` sets.
        """
        caller = self.identify(request)
        limit = await self.throttle(request, caller)
        if caller.tenant_id is None or caller.jti_hash is None:
            raise Unauthenticated(UNAUTHENTICATED)
        headers = {
            "X-RateLimit-Limit": str(limit.limit),
            "X-RateLimit-Remaining": str(limit.remaining),
        }
        if writing or self.texts is None:
            opened = self._writing(request, caller.tenant_id, caller.jti_hash, headers)
        else:
            opened = self._reading(request, caller.tenant_id, caller.jti_hash, headers)
        async with opened as call:
            yield call
        for path in call.files_to_delete:
            await self._delete(path)

    @asynccontextmanager
    async def _writing(
        self, request: Request, tenant_id: int, jti_hash: str, headers: dict[str, str]
    ) -> AsyncIterator[Call]:
        async with tenant_session(self.platform.sessions, tenant_id) as session:
            conn = await session.connection()
            db = AlchemyDatabase(conn)
            principal = await self._principal(db, tenant_id, jti_hash)
            yield self._call(request, tenant_id, principal, db, headers, (session, conn))

    @asynccontextmanager
    async def _reading(
        self, request: Request, tenant_id: int, jti_hash: str, headers: dict[str, str]
    ) -> AsyncIterator[Call]:
        assert self.texts is not None
        async with self.platform.engine.connect() as conn:
            driver = await _begin_read(conn, tenant_id)
            done = False
            try:
                db = AsyncpgDatabase(driver, self.texts)
                principal = await self._principal(db, tenant_id, jti_hash)
                yield self._call(request, tenant_id, principal, db, headers, None)
                done = True
            except Exception as exc:
                if driver.is_closed() or isinstance(exc, _CONNECTION_LOST):
                    await _discard(conn)
                    raise _unavailable() from exc
                raise
            finally:
                await _finish(conn, driver, commit=done)

    async def _principal(self, db: Database, tenant_id: int, jti_hash: str) -> Principal:
        row = await db.first(_KEY_ROW, {"tenant": tenant_id, "jti_hash": jti_hash})
        if row is None:
            raise Unauthenticated(UNAUTHENTICATED)
        key = mapping(row)
        expires = key["expires_at"]
        if key["revoked_at"] is not None or not key["active"]:
            raise Unauthenticated(UNAUTHENTICATED)
        if expires is not None and expires <= utcnow():
            raise Unauthenticated(UNAUTHENTICATED)
        return Principal(
            tenant_id=tenant_id,
            user_id=key["user_id"],
            permissions=frozenset(json_value(key["scopes"]) or ()),
            credential=Credential("api_key", key["id"]),
        )

    def _call(
        self,
        request: Request,
        tenant_id: int,
        principal: Principal,
        db: Database,
        headers: dict[str, str],
        writer: tuple[AsyncSession, AsyncConnection] | None,
    ) -> Call:
        return Call(
            request=request,
            registry=self.registry,
            tenant_id=tenant_id,
            principal=principal,
            db=db,
            render=RenderContext(self._public_url, time.time()),
            storage_put=self._put,
            storage_delete=self._delete,
            dialect=self.dialect,
            response_headers=headers,
            writer=writer,
        )
