"""What the console's OAuth client pages of both faces share: the page itself, the secret
shown or reset behind a fresh TOTP code, and revoking after a confirmation. Each face brings
its own client store, template and words, and keeps its routes (its own client ids).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from tenantry.console.access import admin_of
from tenantry.console.layout import render
from tenantry.core.tenancy import tenant_session
from tenantry.web.fresh_code import ClientSecrets, secret_action
from tenantry.web.signin import SignedInUser
from tenantry.web.templating import Page

K = TypeVar("K")
K_contra = TypeVar("K_contra", contravariant=True)
SECTION = "/console/oauth-clients"
RESET = "The secret is reset. The old secret no longer works."

__all__ = ["SECTION", "ClientPages", "RevocableClients"]


class RevocableClients(ClientSecrets[K_contra], Protocol[K_contra]):
    """A face's OAuth client store, as far as the console's client page goes."""

    async def revoke_client(self, session: AsyncSession, client_id: K_contra) -> Any: ...


@dataclass(frozen=True)
class ClientPages(Generic[K]):
    """The actions of one face's client page at ``SECTION/<face>/<key>``."""

    face: str
    clients: RevocableClients[K]
    template: str
    noun: str
    """What the face calls a client (``client``, ``application``)."""
    revoking: str
    """What revoking does, said on the confirmation."""
    revoked: Callable[[K], str]
    """Where the admin lands once client ``key`` is revoked."""
    facts: Callable[[Any], dict[str, Any]] = lambda client: {}
    """What the face's page shows besides the client row itself."""

    def base(self, key: K) -> str:
        return f"{SECTION}/{self.face}/{key}"

    async def view(
        self,
        page: Page,
        admin: SignedInUser,
        key: K,
        *,
        status: int = 200,
        error: str | None = None,
        notice: str | None = None,
        secret: str | None = None,
    ) -> Response:
        """The client's page: its facts, and its secret when just shown or made."""
        async with tenant_session(page.platform.sessions, admin.tenant_id) as session:
            client = await self.clients.get_client(session, key)
        return render(
            page,
            self.template,
            section=SECTION,
            status=status,
            error=error,
            notice=notice,
            client=client,
            secret=secret,
            two_factor_on=admin.two_factor,
            **self.facts(client),
        )

    async def show_secret(self, page: Page, key: K) -> Response:
        return await secret_action(
            page, key, signed_in=admin_of, clients=self.clients, view=self.view
        )

    async def reset_secret(self, page: Page, key: K) -> Response:
        return await secret_action(
            page,
            key,
            signed_in=admin_of,
            clients=self.clients,
            view=self.view,
            reset=True,
            notice=RESET,
        )

    async def confirm_revoke(self, page: Page, key: K) -> Response:
        admin = await admin_of(page)
        if isinstance(admin, Response):
            return admin
        async with tenant_session(page.platform.sessions, admin.tenant_id) as session:
            client = await self.clients.get_client(session, key)
        return render(
            page,
            "console/confirm.html",
            section=SECTION,
            heading=f"Revoke {client.name}?",
            message=self.revoking,
            action=f"{self.base(key)}/revoke",
            button=f"Revoke {self.noun}",
            back=self.base(key),
        )

    async def revoke(self, page: Page, key: K) -> Response:
        await page.form()
        admin = await admin_of(page)
        if isinstance(admin, Response):
            return admin
        async with tenant_session(page.platform.sessions, admin.tenant_id) as session:
            await self.clients.revoke_client(session, key)
        return page.redirect(self.revoked(key))
