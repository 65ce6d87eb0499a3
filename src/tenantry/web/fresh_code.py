"""A fresh TOTP code asked before a page shows or resets a secret (never a recovery code).

The settings pages of Percolate and the console's client pages of both faces show and reset
an OAuth client's secret the same way: :func:`secret_action` is that flow, once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from tenantry.core.errors import RateLimited
from tenantry.core.sealing import SecretBox
from tenantry.core.tenancy import tenant_session
from tenantry.settings import Settings
from tenantry.web.pages import form_text
from tenantry.web.signin import SignedInUser, check_second_factor
from tenantry.web.templating import Page

K = TypeVar("K", contravariant=True)

__all__ = ["ClientSecrets", "SecretView", "fresh_code_problem", "secret_action"]


async def fresh_code_problem(page: Page, user: SignedInUser, code: str) -> str | None:
    """``None`` when ``code`` is a fresh TOTP code of ``user``, else what to tell them."""
    if not user.two_factor:
        return "Turn on two-factor authentication first."
    try:
        ok = await check_second_factor(
            page.platform,
            page.ui.limits,
            page.ui.totp,
            tenant_id=user.tenant_id,
            user_id=user.user_id,
            code=code,
            allow_recovery=False,
        )
    except RateLimited as exc:
        return exc.message
    return None if ok else "That two-factor code is not right."


class ClientSecrets(Protocol[K]):
    """A face's OAuth client store, as far as showing and resetting a secret goes."""

    def client_secret_box(self, settings: Settings) -> SecretBox: ...

    async def get_client(self, session: AsyncSession, client_id: K) -> Any: ...

    def reveal_secret(self, box: SecretBox, client: Any) -> str: ...

    async def reset_secret(self, session: AsyncSession, box: SecretBox, client: Any) -> str: ...


class SecretView(Protocol[K]):
    """The client's page, shown again with the outcome (a problem, or the secret)."""

    def __call__(
        self,
        page: Page,
        user: SignedInUser,
        key: K,
        /,
        *,
        status: int = ...,
        error: str | None = ...,
        notice: str | None = ...,
        secret: str | None = ...,
    ) -> Awaitable[Response]: ...


async def secret_action(
    page: Page,
    key: K,
    *,
    signed_in: Callable[[Page], Awaitable[SignedInUser | Response]],
    clients: ClientSecrets[K],
    view: SecretView[K],
    reset: bool = False,
    notice: str | None = None,
) -> Response:
    """Show client ``key``'s secret (a new one when ``reset``) to whom ``signed_in`` lets in,
    on a fresh TOTP code posted as ``code``; else the page again with what is wrong."""
    form = await page.form()
    user = await signed_in(page)
    if isinstance(user, Response):
        return user
    problem = await fresh_code_problem(page, user, form_text(form, "code", 40))
    if problem is not None:
        return await view(page, user, key, status=400, error=problem)
    box = clients.client_secret_box(page.platform.settings)
    async with tenant_session(page.platform.sessions, user.tenant_id) as session:
        client = await clients.get_client(session, key)
        if reset:
            secret = await clients.reset_secret(session, box, client)
        else:
            secret = clients.reveal_secret(box, client)
    return await view(page, user, key, notice=notice, secret=secret)
