"""One CSV row of a user-role import, applied: the user (made when missing), the role (by
code or name), the scope (a license or brand by name, or ``Account``), the grant.

The file is read as a stream of lines, so a 100k-row CSV never sits in memory whole; each row
runs in a savepoint, so a malformed row fails alone and is reported by its line number.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import AsyncIterator
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tenantry.core.errors import TenantryError
from tenantry.core.identity import service as identity
from tenantry.core.identity.models import Role, User, UserRole
from tenantry.core.resources.scoped import of_tenant
from tenantry.core.scopes import Scope
from tenantry.percolate.role.models import RoleProfile

HEADER = ("email", "name", "role", "scope")
MAX_REPORTED_ERRORS = 1000
MAX_LINE = 64 * 1024
ACCOUNT = "account"


class RowError(Exception):
    """Why a row was not applied (shown with its line number)."""


async def lines_of(chunks: AsyncIterator[bytes]) -> AsyncIterator[str]:
    """UTF-8 lines (a BOM dropped) from a byte stream, one at a time."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="replace")
    pending = ""
    async for chunk in chunks:
        pending += decoder.decode(chunk)
        *complete, pending = pending.split("\n")
        for line in complete:
            yield line[:MAX_LINE]
        if len(pending) > MAX_LINE:
            pending = pending[:MAX_LINE]
    pending += decoder.decode(b"", final=True)
    if pending:
        yield pending[:MAX_LINE]


def parse_line(line: str) -> list[str]:
    return next(csv.reader([line]), [])


@dataclass
class Applier:
    """Applies rows in one tenant, caching the role and scope look-ups."""

    session: AsyncSession
    tenant_id: int
    account_id: int | None

    def __post_init__(self) -> None:
        self.roles: dict[str, int | None] = {}
        self.scopes: dict[str, int | None] = {}

    async def _role(self, wanted: str) -> int:
        if wanted not in self.roles:
            found = await self.session.scalar(
                select(RoleProfile.role_id).where(
                    RoleProfile.tenant_id == self.tenant_id, RoleProfile.code == wanted
                )
            )
            if found is None:
                found = await self.session.scalar(
                    select(Role.id).where(of_tenant(Role, self.tenant_id), Role.name == wanted)
                )
            self.roles[wanted] = found
        role = self.roles[wanted]
        if role is None:
            raise RowError(f"No role {wanted!r}.")
        return role

    async def _scope(self, wanted: str) -> int | None:
        if wanted.lower() == ACCOUNT:
            if self.account_id not in (None, self.tenant_id):
                raise RowError("The account_id is not this account.")
            return None
        if wanted not in self.scopes:
            found = (
                await self.session.scalars(
                    select(Scope.id).where(
                        of_tenant(Scope, self.tenant_id),
                        Scope.name == wanted,
                        Scope.kind.in_(("license", "brand")),
                    )
                )
            ).all()
            self.scopes[wanted] = found[0] if len(found) == 1 else None
            if len(found) > 1:
                raise RowError(f"Several scopes are named {wanted!r}.")
        scope = self.scopes[wanted]
        if scope is None:
            raise RowError(f"No license or brand named {wanted!r}.")
        return scope

    async def apply(self, cells: list[str]) -> bool:
        """Apply one row; whether a grant was created (``False``: it existed already)."""
        if len(cells) != len(HEADER):
            raise RowError(f"Expected {len(HEADER)} columns ({', '.join(HEADER)}).")
        email, name, role_name, scope_name = (cell.strip() for cell in cells)
        if "@" not in email or len(email) > 254:
            raise RowError(f"{email!r} is not an email address.")
        try:
            normalized = identity.normalize_email(email)
        except (TenantryError, ValueError):
            raise RowError(f"{email!r} is not an email address.") from None
        role_id = await self._role(role_name)
        scope_id = await self._scope(scope_name)
        async with self.session.begin_nested():
            user_id = await self.session.scalar(
                select(User.id).where(of_tenant(User, self.tenant_id), User.email == normalized)
            )
            if user_id is None:
                try:
                    made = await identity.create_user(self.session, email=email, name=name or email)
                except TenantryError as error:
                    raise RowError(error.message) from None
                user_id = made.id
            held = await self.session.scalar(
                select(func.count()).where(
                    of_tenant(UserRole, self.tenant_id),
                    UserRole.user_id == user_id,
                    UserRole.role_id == role_id,
                    UserRole.scope_id.is_(None)
                    if scope_id is None
                    else UserRole.scope_id == scope_id,
                )
            )
            if held:
                return False
            self.session.add(
                UserRole(
                    tenant_id=self.tenant_id, user_id=user_id, role_id=role_id, scope_id=scope_id
                )
            )
            await self.session.flush()
        return True
