"""Sign in, the TOTP prompt, sign out, and the account settings pages (two-factor set-up)."""

from __future__ import annotations

from functools import cache
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.datastructures import FormData
from starlette.responses import Response

from tenantry.core.errors import RateLimited
from tenantry.core.identity import service as identity
from tenantry.core.identity import two_factor
from tenantry.core.identity.email_change import (
    CONFIRM_PATH,
    confirm_email_change,
    read_email_change,
)
from tenantry.core.tenancy import Tenant, tenant_session
from tenantry.web.navigation import DEFAULT_LANDING, safe_next
from tenantry.web.session import WebSession
from tenantry.web.signin import SignInFailed, check_second_factor, parse_account, sign_in
from tenantry.web.templating import STYLESHEET, STYLESHEET_PATH, PageDep

router = APIRouter(include_in_schema=False)

__all__ = ["form_text", "router"]


def form_text(form: FormData, name: str, limit: int = 1000) -> str:
    """A text field of a posted form ('' when absent or a file), cut to ``limit`` characters."""
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


@cache
def _stylesheet() -> bytes:
    """Read once: the file ships inside the package and never changes while running."""
    return STYLESHEET.read_bytes()


@router.get(STYLESHEET_PATH)
async def stylesheet() -> Response:
    return Response(
        _stylesheet(),
        media_type="text/css",
        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


async def _tenant_name(page: PageDep, tenant_id: int | None) -> str | None:
    if tenant_id is None:
        return None
    async with page.platform.sessions() as session:
        tenant = await session.get(Tenant, tenant_id)
    return tenant.name if tenant is not None and tenant.active else None


@router.get("/login")
async def login_form(page: PageDep, next: str = "", account: str = "") -> Response:
    target = safe_next(next)
    tenant_id = parse_account(account)
    session = page.session
    same_tenant = session is not None and tenant_id in (None, session.tenant_id)
    if same_tenant and await page.user() is not None:
        return page.redirect(target)
    return page.render(
        "login.html",
        next=target,
        account=str(tenant_id) if tenant_id is not None else account[:40],
        tenant_name=await _tenant_name(page, tenant_id),
        email="",
    )


@router.post("/login")
async def login_submit(page: PageDep) -> Response:
    form = await page.form()
    target = safe_next(form_text(form, "next"))
    account_text = form_text(form, "account")
    tenant_id = parse_account(account_text)
    email = form_text(form, "email", 320)

    async def again(message: str, status: int, headers: dict[str, str] | None = None) -> Response:
        return page.render(
            "login.html",
            status=status,
            headers=headers,
            next=target,
            account=account_text[:40],
            tenant_name=await _tenant_name(page, tenant_id),
            email=email,
            error=message,
        )

    try:
        accepted = await sign_in(
            page.platform,
            page.ui.limits,
            tenant_id=tenant_id,
            email=email,
            password=form_text(form, "password", 1000),
            address=page.client_address,
        )
    except SignInFailed:
        return await again("The organisation, email or password is not right.", 401)
    except RateLimited as exc:
        return await again(exc.message, 429, exc.headers)
    if accepted.needs_second_factor:
        page.start_session(
            WebSession(accepted.tenant_id, accepted.user_id, "password", accepted.session_version)
        )
        return page.redirect("/login/two-factor?" + _next_query(target))
    page.start_session(
        WebSession(accepted.tenant_id, accepted.user_id, "full", accepted.session_version)
    )
    return page.redirect(target)


def _next_query(target: str) -> str:
    return urlencode({"next": target})


@router.get("/login/two-factor")
async def second_factor_form(page: PageDep, next: str = "") -> Response:
    target = safe_next(next)
    if page.session is None or page.session.stage != "password":
        return page.redirect(page.login_url(target))
    return page.render("second_factor.html", next=target)


@router.post("/login/two-factor")
async def second_factor_submit(page: PageDep) -> Response:
    form = await page.form()
    target = safe_next(form_text(form, "next"))
    session = page.session
    if session is None or session.stage != "password":
        return page.redirect(page.login_url(target))
    try:
        ok = await check_second_factor(
            page.platform,
            page.ui.limits,
            page.ui.totp,
            tenant_id=session.tenant_id,
            user_id=session.user_id,
            code=form_text(form, "code", 40),
        )
    except RateLimited as exc:
        return page.render(
            "second_factor.html", status=429, headers=exc.headers, next=target, error=exc.message
        )
    if not ok:
        return page.render(
            "second_factor.html", status=401, next=target, error="That code is not right."
        )
    page.start_session(WebSession(session.tenant_id, session.user_id, "full", session.version))
    return page.redirect(target)


@router.get("/logout")
async def logout_form(page: PageDep) -> Response:
    return page.render("logout.html", signed_in=await page.user())


@router.post("/logout")
async def logout(page: PageDep) -> Response:
    await page.form()
    tenant_id = page.session.tenant_id if page.session else None
    if page.session is not None:  # signing out ends every copy of the session
        async with tenant_session(page.platform.sessions, page.session.tenant_id) as session:
            await identity.end_sessions(session, page.session.user_id)
    page.end_session()
    return page.redirect(page.login_url(DEFAULT_LANDING, tenant_id))


@router.get("/settings")
async def settings_index(page: PageDep, request: Request) -> Response:
    user = await page.user()
    if user is None:
        return page.redirect(page.login_url(request.url.path))
    links = [link for link in page.ui.settings_links if link.visible_to(user)]
    return page.render("settings.html", links=links)


@router.get("/settings/two-factor")
async def two_factor_page(page: PageDep) -> Response:
    user = await page.user()
    if user is None:
        return page.redirect(page.login_url("/settings/two-factor"))
    return await _two_factor_view(page)


async def _two_factor_view(
    page: PageDep,
    *,
    status: int = 200,
    error: str | None = None,
    recovery_codes: list[str] | None = None,
) -> Response:
    user = await page.user()
    assert user is not None
    box = page.ui.totp
    qr = seed = None
    async with tenant_session(page.platform.sessions, user.tenant_id) as session:
        row = await two_factor.enrolment_of(session, user.user_id)
        if row is not None and row.confirmed_at is None:
            seed = box.open(row.secret_sealed)
    if seed is not None:
        qr = two_factor.provisioning_qr(seed, user.email, f"Tenantry ({user.tenant_name})")
    return page.render(
        "two_factor.html",
        status=status,
        error=error,
        enabled=row is not None and row.confirmed_at is not None,
        pending_seed=seed,
        qr=qr,
        recovery_codes=recovery_codes,
    )


@router.post("/settings/two-factor/begin")
async def two_factor_begin(page: PageDep) -> Response:
    await page.form()
    user = await page.user()
    if user is None:
        return page.redirect(page.login_url("/settings/two-factor"))
    if not user.two_factor:
        box = page.ui.totp
        async with tenant_session(page.platform.sessions, user.tenant_id) as session:
            await two_factor.begin_enrolment(session, box, user.user_id)
    return page.redirect("/settings/two-factor")


@router.post("/settings/two-factor/confirm")
async def two_factor_confirm(page: PageDep) -> Response:
    form = await page.form()
    user = await page.user()
    if user is None:
        return page.redirect(page.login_url("/settings/two-factor"))
    box = page.ui.totp
    async with tenant_session(page.platform.sessions, user.tenant_id) as session:
        codes = await two_factor.confirm_enrolment(
            session, box, user.user_id, form_text(form, "code", 40)
        )
    if codes is None:
        return await _two_factor_view(page, status=400, error="That code is not right.")
    await _renew_session(page, user.tenant_id, user.user_id)
    return await _two_factor_view(page, recovery_codes=codes)


@router.post("/settings/two-factor/disable")
async def two_factor_disable(page: PageDep) -> Response:
    form = await page.form()
    user = await page.user()
    if user is None:
        return page.redirect(page.login_url("/settings/two-factor"))
    try:
        ok = await check_second_factor(
            page.platform,
            page.ui.limits,
            page.ui.totp,
            tenant_id=user.tenant_id,
            user_id=user.user_id,
            code=form_text(form, "code", 40),
            allow_recovery=False,
        )
    except RateLimited as exc:
        return await _two_factor_view(page, status=429, error=exc.message)
    if ok:
        async with tenant_session(page.platform.sessions, user.tenant_id) as session:
            await two_factor.remove(session, user.user_id)
        await _renew_session(page, user.tenant_id, user.user_id)
        return page.redirect("/settings/two-factor")
    return await _two_factor_view(page, status=400, error="That code is not right.")


async def _renew_session(page: PageDep, tenant_id: int, user_id: int) -> None:
    """After a second-factor change: end every other session, keep this browser signed in."""
    async with tenant_session(page.platform.sessions, tenant_id) as session:
        version = await identity.end_sessions(session, user_id)
    page.start_session(WebSession(tenant_id, user_id, "full", version))


def _stale_email_link(page: PageDep) -> Response:
    return page.render(
        "confirm_email.html",
        status=400,
        error="This link has expired or was already used.",
        token="",
        done=None,
    )


@router.get(CONFIRM_PATH)
async def email_change_form(page: PageDep, token: str = "") -> Response:
    """The link mailed to a new sign-in address shows a button: mail scanners that follow
    links must not confirm on their own."""
    change = read_email_change(page.platform.settings, token[:2000]) if token else None
    if change is None:
        return _stale_email_link(page)
    return page.render("confirm_email.html", token=token, new_email=change.new_email, done=None)


@router.post(CONFIRM_PATH)
async def email_change_confirm(page: PageDep) -> Response:
    form = await page.form()
    change = read_email_change(page.platform.settings, form_text(form, "token", 2000))
    if change is None or not await confirm_email_change(page.platform.sessions, change):
        return _stale_email_link(page)
    page.end_session()
    return page.render(
        "confirm_email.html",
        token="",
        done=page.login_url(DEFAULT_LANDING, change.tenant_id),
        notice=f"Your sign-in email is now {change.new_email}.",
    )
