"""Accounts with scopes, users with per-scope roles, and OAuth access tokens issued through
the token endpoint's own issuing code (what ``tenantry token create`` runs)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tenantry.core.identity import service as identity
from tenantry.core.identity.models import Role, UserRole
from tenantry.core.tenancy import tenant_session
from tenantry.percolate.oauth.cli import create_oauth_client, create_token
from tenantry.percolate.role.models import RoleProfile
from tenantry.percolate.role.service import ensure_builtin_roles
from tenantry.percolate.scope.service import add_scope
from tenantry.settings import Settings

PASSWORD = "correct horse battery staple"


@dataclass
class Caller:
    user_id: int
    email: str
    token: str

    @property
    def wire(self) -> str:
        return f"user:{self.user_id}"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Account:
    """One tenant with an OAuth client; makes scopes, users and grants without HTTP."""

    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    tenant_id: int
    client_id: str
    roles: dict[str, int] = field(default_factory=dict)

    @property
    def wire(self) -> str:
        return f"account:{self.tenant_id}"

    async def scope(self, kind: str, name: str | None = None, parent: str | None = None) -> str:
        async with tenant_session(self.sessions, self.tenant_id) as session:
            made = await add_scope(
                session,
                self.tenant_id,
                kind=kind,
                name=name or f"{kind} {uuid.uuid4().hex[:6]}",
                parent=parent,
            )
            return f"{made.kind}:{made.id}"

    async def role_id(self, code: str) -> int:
        if code not in self.roles:
            async with tenant_session(self.sessions, self.tenant_id) as session:
                await ensure_builtin_roles(session)
                found = await session.scalar(
                    select(RoleProfile.role_id).where(RoleProfile.code == code)
                )
                if found is None:
                    found = await session.scalar(select(Role.id).where(Role.name == code))
                assert found is not None, code
                self.roles[code] = found
        return self.roles[code]

    async def user(
        self,
        *grants: tuple[str, str | None],
        name: str = "Ada Lovelace",
        email: str | None = None,
        password: str | None = None,
    ) -> Caller:
        """A user holding ``(role code, scope id or None for the account)`` grants."""
        email = email or f"v5-{uuid.uuid4().hex[:10]}@example.org"
        async with tenant_session(self.sessions, self.tenant_id) as session:
            user = await identity.create_user(session, email=email, name=name, password=password)
            user_id = user.id
        for code, scope in grants:
            await self.grant(user_id, code, scope)
        token = await create_token(
            self.settings,
            self.sessions,
            tenant_id=self.tenant_id,
            user_id=user_id,
            client_id=self.client_id,
        )
        return Caller(user_id, email, token["access_token"])

    async def grant(self, user_id: int, code: str, scope: str | None) -> int:
        role_id = await self.role_id(code)
        scope_id = int(scope.split(":")[1]) if scope and not scope.startswith("account:") else None
        async with tenant_session(self.sessions, self.tenant_id) as session:
            row = UserRole(user_id=user_id, role_id=role_id, scope_id=scope_id)
            session.add(row)
            await session.flush()
            return row.id


def account_maker(settings: Settings, sessions: async_sessionmaker[AsyncSession]) -> Any:
    """What :func:`make_account` gives, for fixtures of a wider scope."""

    async def make(name: str | None = None) -> Account:
        async with sessions() as session, session.begin():
            tenant = await identity.create_tenant(session, name or f"Acct {uuid.uuid4().hex[:8]}")
            tenant_id = tenant.id
        client = await create_oauth_client(
            settings,
            sessions,
            tenant_id=tenant_id,
            name="v5 tests",
            redirect_uri="https://client.example.org/callback",
        )
        return Account(settings, sessions, tenant_id, client["client_id"])

    return make


@pytest.fixture
def make_account(settings: Settings, sessions: async_sessionmaker[AsyncSession]) -> Any:
    return account_maker(settings, sessions)


@pytest.fixture
async def account(make_account: Any) -> Account:
    made: Account = await make_account()
    return made


@pytest.fixture
async def admin(account: Account) -> Caller:
    """The account's administrator (core ``admin`` preset, account-wide)."""
    return await account.user(("admin", None), name="Account Admin")
