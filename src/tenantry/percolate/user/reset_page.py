"""The page a password-reset mail links to: choose a new password (Percolate v5 reset flow).

``GET /reset-password?token=…`` shows the form while the token is good; the ``POST`` sets
the password through ``tenantry.percolate.user.password_reset`` (which makes the token
single-use) and points to the sign-in page of the account.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter
from starlette.responses import Response

from tenantry.core.errors import ValidationFailed
from tenantry.percolate.user.password_reset import (
    MIN_PASSWORD,
    RESET_PATH,
    read_ticket,
    set_password,
)
from tenantry.web.pages import form_text
from tenantry.web.templating import PageDep, render_error_page

if TYPE_CHECKING:
    from fastapi import FastAPI

    from tenantry.core.platform import Platform

router = APIRouter(include_in_schema=False)

__all__ = ["install_reset_page", "router"]

EXPIRED = "This link has expired or was already used. Ask for a new one."


@router.get(RESET_PATH)
async def reset_form(page: PageDep, token: str = "") -> Response:
    ticket = await read_ticket(page.platform, token[:2000]) if token else None
    if ticket is None:
        return page.render("reset_password.html", status=400, token="", error=EXPIRED, done=None)
    return page.render("reset_password.html", token=token, minimum=MIN_PASSWORD, done=None)


@router.post(RESET_PATH)
async def reset_submit(page: PageDep) -> Response:
    form = await page.form()
    token = form_text(form, "token", 2000)
    password = form_text(form, "password")
    confirm = form_text(form, "confirm")
    ticket = await read_ticket(page.platform, token)
    if ticket is None:
        return page.render("reset_password.html", status=400, token="", error=EXPIRED, done=None)

    def again(message: str) -> Response:
        return page.render(
            "reset_password.html",
            status=400,
            token=token,
            minimum=MIN_PASSWORD,
            error=message,
            done=None,
        )

    if password != confirm:
        return again("The two passwords differ.")
    try:
        changed = await set_password(page.platform, token, password)
    except ValidationFailed as exc:
        return again(exc.message)
    if not changed:
        return page.render("reset_password.html", status=400, token="", error=EXPIRED, done=None)
    return page.render(
        "reset_password.html",
        token="",
        done=page.login_url("/settings", ticket.tenant_id),
        notice="Your password was changed. You can sign in with it now.",
    )


def install_reset_page(app: FastAPI, platform: Platform) -> None:
    """Mount the page and render its errors (a stale CSRF form) as HTML."""
    app.include_router(router)
    platform.error_renderers.register(RESET_PATH, render_error_page)
