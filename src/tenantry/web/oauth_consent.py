"""The person's half of an OAuth authorization endpoint, shared by every face.

A face validates the request (Authlib, in the client's tenant) and decides it; this module
does what lies between: the error page for a request that must not be followed, sign-in
scoped to the client's tenant, the two-factor step when enabled, and the consent page.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from authlib.oauth2 import OAuth2Error
from fastapi import Request
from starlette.responses import Response

from tenantry.web.pages import form_text
from tenantry.web.signin import SignedInUser
from tenantry.web.templating import Page

__all__ = ["ConsentRequest", "authorize_flow", "error_page"]


@dataclass(frozen=True)
class ConsentRequest:
    """A validated authorization request, ready to show to a person."""

    tenant_id: int
    client_id: str
    client_name: str
    redirect_uri: str
    api_name: str
    scopes: tuple[str, ...] = field(default=())
    manage_hint: str | None = None


Validate = Callable[[], Awaitable["ConsentRequest | Response | OAuth2Error"]]
Decide = Callable[[SignedInUser, bool], Awaitable["Response | OAuth2Error"]]


def error_page(page: Page, error: OAuth2Error) -> Response:
    """A request that names no valid client or redirect URI: shown, never followed."""
    message = error.description or str(error.error).replace("_", " ")
    return page.render(
        "error.html",
        status=400,
        code=400,
        message=f"This application's sign-in link is not valid: {message}",
        details=[],
    )


async def authorize_flow(
    request: Request, page: Page, validate: Validate, decide: Decide
) -> Response:
    """Validate, then sign in (the client's tenant), TOTP when enabled, consent, decide."""
    form = await page.form() if request.method == "POST" else None
    outcome = await validate()
    if isinstance(outcome, OAuth2Error):
        return error_page(page, outcome)
    if isinstance(outcome, Response):
        return page.finish(outcome)
    here = request.url.path + "?" + request.url.query
    session = page.session
    if session is None or session.tenant_id != outcome.tenant_id:
        return page.redirect(page.login_url(here, outcome.tenant_id))
    if session.stage == "password":
        return page.redirect("/login/two-factor?" + urlencode({"next": here}))
    user = await page.user()
    if user is None:
        return page.redirect(page.login_url(here, outcome.tenant_id))
    if form is None:
        return page.render("oauth_consent.html", consent=outcome, action=here)
    decided = await decide(user, form_text(form, "decision") == "allow")
    if isinstance(decided, OAuth2Error):
        return error_page(page, decided)
    return page.finish(decided)
