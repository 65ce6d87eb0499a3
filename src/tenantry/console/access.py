"""Who may use the console: a fully signed-in user (password, and TOTP when enabled) holding
the tenant's built-in ``admin`` role tenant-wide. Everyone else gets a redirect to sign in
or a 403 page."""

from __future__ import annotations

from sqlalchemy import select
from starlette.responses import Response

from tenantry.core.identity.models import Role, UserRole
from tenantry.core.identity.permissions import ADMIN_PRESET
from tenantry.core.tenancy import tenant_session
from tenantry.web.signin import SignedInUser
from tenantry.web.templating import Page

CONSOLE_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; "
    "connect-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
"""The pages' policy plus the console's one same-origin script (the copy buttons)."""

__all__ = ["CONSOLE_CSP", "admin_of", "is_admin"]


async def is_admin(page: Page, user: SignedInUser) -> bool:
    async with tenant_session(page.platform.sessions, user.tenant_id) as session:
        found = await session.scalar(
            select(Role.id)
            .join(UserRole, (UserRole.role_id == Role.id) & (UserRole.tenant_id == Role.tenant_id))
            .where(
                UserRole.user_id == user.user_id,
                UserRole.scope_id.is_(None),
                Role.preset == ADMIN_PRESET,
            )
            .limit(1)
        )
    return found is not None


async def admin_of(page: Page) -> SignedInUser | Response:
    """The signed-in admin, or the response to send instead (sign in, or 403)."""
    user = await page.user()
    if user is None:
        return page.redirect(
            page.login_url(page.request.url.path, page.session.tenant_id if page.session else None)
        )
    if not await is_admin(page, user):
        return page.render(
            "error.html",
            status=403,
            code=403,
            message="The console is for the organisation's admins.",
            details=[],
        )
    return user
