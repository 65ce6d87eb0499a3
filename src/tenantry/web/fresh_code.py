"""A fresh TOTP code asked before a page shows or resets a secret (never a recovery code)."""

from __future__ import annotations

from tenantry.core.errors import RateLimited
from tenantry.web.signin import SignedInUser, check_second_factor
from tenantry.web.templating import Page

__all__ = ["fresh_code_problem"]


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
