"""The page an invitation mail links to: the invitee chooses a password, then signs in."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from tenantry.core.errors import ValidationFailed
from tenantry.core.identity import invitations
from tenantry.web.pages import form_text
from tenantry.web.templating import PageDep

PATH = invitations.ACCEPT_PATH
EXPIRED = "This invitation has expired or was already used. Ask your admin for a new one."

router = APIRouter(include_in_schema=False)

__all__ = ["PATH", "router"]


@router.get(PATH)
async def invitation(page: PageDep, token: str = "") -> Response:
    invitee = await invitations.read(page.platform, token[:2000]) if token else None
    if invitee is None:
        return page.render("console/invitation.html", status=400, error=EXPIRED, invitee=None)
    return page.render(
        "console/invitation.html", invitee=invitee, token=token, minimum=invitations.MIN_PASSWORD
    )


@router.post(PATH)
async def accept(page: PageDep) -> Response:
    form = await page.form()
    token = form_text(form, "token", 2000)
    invitee = await invitations.read(page.platform, token)
    if invitee is None:
        return page.render("console/invitation.html", status=400, error=EXPIRED, invitee=None)
    if form_text(form, "password") != form_text(form, "confirm"):
        error = "The two passwords differ."
    else:
        try:
            accepted = await invitations.accept(page.platform, token, form_text(form, "password"))
        except ValidationFailed as exc:
            error = exc.message
        else:
            if accepted is None:
                return page.render(
                    "console/invitation.html", status=400, error=EXPIRED, invitee=None
                )
            return page.render(
                "console/invitation.html",
                invitee=accepted,
                done=page.login_url("/settings", accepted.tenant_id),
                notice="Your password is set. Sign in with it now.",
            )
    return page.render(
        "console/invitation.html",
        status=400,
        error=error,
        invitee=invitee,
        token=token,
        minimum=invitations.MIN_PASSWORD,
    )
