"""Rendering pages: one Jinja2 environment per app, and a per-request :class:`Page` helper.

Autoescaping is on for every template, undefined variables are errors, and every response
carries headers that forbid framing, sniffing, caching and scripts (the pages use none).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Request
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.datastructures import FormData
from starlette.responses import HTMLResponse, RedirectResponse, Response

from tenantry.core.audit.actor import attribute_web_session
from tenantry.core.errors import Forbidden, TenantryError
from tenantry.core.platform import Platform, PlatformDep
from tenantry.core.sealing import SecretBox
from tenantry.settings import Settings
from tenantry.web.session import (
    CSRF_COOKIE,
    CSRF_FIELD,
    FULL_SESSION_SECONDS,
    SESSION_COOKIE,
    CsrfGuard,
    SessionCodec,
    WebSession,
)
from tenantry.web.signin import SignedInUser, SignInLimits, load_signed_in

TEMPLATES = Path(__file__).resolve().parent / "templates"
STYLESHEET = Path(__file__).resolve().parent / "static" / "style.css"
STYLESHEET_PATH = "/web/style.css"

PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

__all__ = ["NavLink", "Page", "PageDep", "WebUI", "render_error_page", "web_ui"]


@dataclass(frozen=True)
class NavLink:
    """A section of the settings pages; shown when the user holds any of ``permissions``."""

    path: str
    label: str
    description: str
    permissions: tuple[str, ...] = ()

    def visible_to(self, user: SignedInUser) -> bool:
        return not self.permissions or any(user.can(p) for p in self.permissions)


@dataclass
class WebUI:
    """What the web pages share inside one app: templates, cookie codecs, limits, navigation."""

    settings: Settings
    limits: SignInLimits
    codec: SessionCodec
    csrf: CsrfGuard
    totp: SecretBox
    env: Environment
    settings_links: list[NavLink] = field(default_factory=list)

    @classmethod
    def build(cls, settings: Settings, limits: SignInLimits) -> WebUI:
        key = settings.effective_secret_key
        env = Environment(
            loader=FileSystemLoader([str(TEMPLATES)]),
            autoescape=select_autoescape(default=True, default_for_string=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.globals["stylesheet"] = STYLESHEET_PATH
        totp = SecretBox(key, "tenantry.web.totp")
        return cls(settings, limits, SessionCodec(key), CsrfGuard(key), totp, env)

    def add_templates(self, directory: Path) -> None:
        """Let a face ship templates of its own next to its code."""
        loader = self.env.loader
        assert isinstance(loader, FileSystemLoader)
        if str(directory) not in loader.searchpath:
            loader.searchpath.append(str(directory))

    def render(self, template: str, context: dict[str, Any]) -> str:
        return self.env.get_template(template).render(context)


def web_ui(request: Request) -> WebUI:
    ui = getattr(request.app.state, "web_ui", None)
    if not isinstance(ui, WebUI):
        raise RuntimeError("the web face is not installed")
    return ui


class Page:
    """One request's view of the web pages: its session, CSRF token and rendering.

    Cookie changes (a new CSRF value, signing in or out) are recorded and applied by
    :meth:`finish`, which every response helper calls.
    """

    def __init__(self, request: Request, ui: WebUI, platform: Platform) -> None:
        self.request = request
        self.ui = ui
        self.platform = platform
        self.session = ui.codec.loads(request.cookies.get(SESSION_COOKIE))
        cookie = request.cookies.get(CSRF_COOKIE)
        self._fresh_csrf = not (cookie and 20 <= len(cookie) <= 100)
        self.csrf_cookie = ui.csrf.new_cookie_value() if self._fresh_csrf else str(cookie)
        self._session_change: WebSession | None = None
        self._sign_out = False
        self._user: SignedInUser | None = None
        self._user_loaded = False

    @property
    def csrf_token(self) -> str:
        return self.ui.csrf.token_for(self.csrf_cookie)

    @property
    def secure(self) -> bool:
        return self.request.url.scheme == "https"

    @property
    def client_address(self) -> str:
        return self.request.client.host if self.request.client else "unknown"

    async def user(self) -> SignedInUser | None:
        """The fully signed-in user (password and, when enabled, TOTP), else ``None``."""
        if not self._user_loaded:
            self._user_loaded = True
            if self.session is not None and self.session.stage == "full":
                self._user = await load_signed_in(
                    self.platform,
                    self.session.tenant_id,
                    self.session.user_id,
                    self.session.version,
                )
                if self._user is not None:
                    attribute_web_session(self._user.user_id)
        return self._user

    def start_session(self, session: WebSession) -> None:
        self.session = session
        self._session_change = session
        self._sign_out = False
        self._user_loaded = False

    def end_session(self) -> None:
        self.session = None
        self._session_change = None
        self._sign_out = True
        self._user = None

    async def form(self) -> FormData:
        """The posted form, after checking its CSRF token (403 page when wrong)."""
        form = await self.request.form()
        if self._fresh_csrf or not self.ui.csrf.check(self.csrf_cookie, form.get(CSRF_FIELD)):
            raise Forbidden(
                "This form has expired or did not come from this site. Go back and try again."
            )
        return form

    def login_url(self, next_path: str, tenant_id: int | None = None) -> str:
        params: dict[str, str] = {"next": next_path}
        if tenant_id is not None:
            params["account"] = str(tenant_id)
        return "/login?" + urlencode(params)

    def render(
        self,
        template: str,
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
        **context: Any,
    ) -> HTMLResponse:
        context.setdefault("signed_in", self._user)
        context.setdefault("error", None)
        context.setdefault("notice", None)
        context[CSRF_FIELD] = self.csrf_token
        html = self.ui.render(template, context)
        response = HTMLResponse(html, status_code=status, headers=headers)
        self.finish(response)
        return response

    def redirect(self, location: str, status: int = 303) -> Response:
        return self.finish(RedirectResponse(location, status_code=status))

    def finish(self, response: Response) -> Response:
        for name, value in PAGE_HEADERS.items():
            response.headers.setdefault(name, value)
        cookie = {"httponly": True, "samesite": "lax", "secure": self.secure, "path": "/"}
        if self._fresh_csrf:
            response.set_cookie(CSRF_COOKIE, self.csrf_cookie, **cookie)  # type: ignore[arg-type]
        if self._session_change is not None:
            response.set_cookie(
                SESSION_COOKIE,
                self.ui.codec.dumps(self._session_change),
                max_age=FULL_SESSION_SECONDS,
                **cookie,  # type: ignore[arg-type]
            )
        elif self._sign_out:
            response.delete_cookie(SESSION_COOKIE, **cookie)  # type: ignore[arg-type]
        return response


async def page_context(request: Request, platform: PlatformDep) -> Page:
    return Page(request, web_ui(request), platform)


PageDep = Annotated[Page, Depends(page_context)]


def render_error_page(request: Request, error: TenantryError) -> Response:
    """The web pages' error renderer: a plain HTML page, never a redirect."""
    ui = getattr(request.app.state, "web_ui", None)
    messages = [e.message for e in error.errors]
    if isinstance(ui, WebUI):
        context = {
            "code": error.status,
            "message": error.message,
            "details": messages,
            "signed_in": None,
            "error": None,
            "notice": None,
            CSRF_FIELD: "",
        }
        html = ui.render("error.html", context)
    else:  # pragma: no cover - the renderer is only registered together with the UI
        html = f"<h1>{error.status}</h1>"
    headers = {**PAGE_HEADERS, **error.headers}
    return HTMLResponse(html, status_code=error.status, headers=headers)
