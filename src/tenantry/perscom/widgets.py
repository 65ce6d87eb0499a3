"""``GET /v2/widgets/{widget}[/{resource}]?apikey=<jwt>[&dark=true]``: embeddable HTML.

PERSCOM's widget loader iframes these pages, so they are plain server-rendered HTML
(Jinja2, autoescaped; no script runs, and the CSP forbids any): stored HTML such as an
event's content is shown as text, never executed. The tenant and the caller come from
the key like any API call (a revoked or foreign key is a 401), each widget needs the
view scope of what it shows, and the data comes through the engine's declarations. The
form widget posts back to itself, and the submission is stored by the engine's nested
``forms/{id}/submissions`` store, so its validation is the API's.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy import ColumnElement, or_, true
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from tenantry.core.auth import require
from tenantry.core.errors import BadRequest, FieldError, NotFound, ValidationFailed
from tenantry.perscom.engine.actions import Actions
from tenantry.perscom.engine.context import FORBIDDEN, Call, CallOpener
from tenantry.perscom.engine.includes import load_includes, parse_includes
from tenantry.perscom.engine.query import Compiler, PageRequest, fetch_page
from tenantry.perscom.engine.runtime import Registry
from tenantry.perscom.engine.serialize import entity
from tenantry.perscom.engine.writes import FORM_STATE_KEY, is_form, read_form
from tenantry.perscom.roster import roster_groups

TEMPLATES = Path(__file__).resolve().parent / "templates" / "widgets"
CATALOGUE = {
    "awards": ("awards", "Awards", "image"),
    "positions": ("positions", "Positions", ""),
    "qualifications": ("qualifications", "Qualifications", "image"),
    "ranks": ("ranks", "Ranks", "image"),
    "specialties": ("specialties", "Specialties", ""),
}
"""Widgets that list one resource: its name, title and includes."""
WIDGETS = ("roster", "calendar", "forms", *CATALOGUE)
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src * data:; "
        "form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
}
MOST = 200
"""Rows one widget shows at most."""
CALENDAR_DAYS = 90


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
    )
    env.filters["when"] = _when
    env.filters["choices"] = _choices
    return env


def _choices(options: Any) -> list[tuple[str, str]]:
    """A select field's options: ``{"value": "label"}`` or a list of values."""
    if isinstance(options, dict):
        return [(str(k), str(v)) for k, v in options.items()]
    if isinstance(options, list):
        return [(str(v), str(v)) for v in options]
    return []


def _when(value: str | None, fmt: str = "%a %d %b %Y, %H:%M") -> str:
    if not value:
        return ""
    return datetime.fromisoformat(value.replace("Z", "+00:00")).strftime(fmt)


def _occurrences(event: dict[str, Any], since: datetime, until: datetime) -> list[dict[str, Any]]:
    """An event as it occurs in the window: once, or at each of its schedule's next dates."""
    schedule = event.get("schedule")
    if not event.get("repeats") or not schedule or not schedule.get("occurrences"):
        ends = event["ends"]
        return [event] if ends and _moment(ends) >= since else []
    length = _moment(event["ends"]) - _moment(event["starts"])
    found = []
    for starts in schedule["occurrences"]:
        moment = _moment(starts)
        if since <= moment <= until:
            ends = (moment + length).isoformat().replace("+00:00", "Z")
            found.append({**event, "starts": starts, "ends": ends})
    return found


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _file_url(call: Call) -> Any:
    """Stored pictures (rank insignia) by signed link: ``/files`` serves nothing unsigned."""
    return call.render.signed_url or call.render.public_url


def _relative(request: Request) -> str:
    """The page's own path and query: a form posts back to where it was served from."""
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


async def _rows(
    call: Call,
    registry: Registry,
    name: str,
    include: str = "",
    extra: list[ColumnElement[bool]] | None = None,
) -> list[dict[str, Any]]:
    resource = registry.get(name)
    query = Compiler(resource, call.dialect).list_query(call.tenant_id, None, extra or [])
    found = await fetch_page(call.db, resource, query, PageRequest(1, MOST))
    data = [entity(resource, row, call.render) for row in found.rows]
    if include:
        tree = parse_includes(resource, include)
        await load_includes(call.db, registry, call.tenant_id, tree, data, call.render)
    return data


class Widgets:
    def __init__(self, registry: Registry, actions: Actions, open_call: CallOpener) -> None:
        self.registry = registry
        self.actions = actions
        self.open_call = open_call
        self.env = _environment()

    def page(
        self, request: Request, call: Call, template: str, status: int = 200, **values: Any
    ) -> Response:
        dark = request.query_params.get("dark", "").lower() in ("1", "true", "yes")
        html = self.env.get_template(template).render(
            dark=dark, action=_relative(request), file_url=_file_url(call), **values
        )
        return HTMLResponse(html, status_code=status, headers=HEADERS)

    async def show(self, request: Request) -> Response:
        widget = request.path_params["widget"]
        if widget not in WIDGETS:
            raise NotFound("No such widget.")
        raw = request.path_params.get("resource")
        item = int(raw) if raw is not None and raw.isdigit() else None
        if raw is not None and item is None:
            raise NotFound("No such widget resource.")
        async with self.open_call(request, writing=False) as call:
            if widget == "roster":
                return await self._roster(request, call, item)
            if widget == "calendar":
                return await self._calendar(request, call, item)
            if widget == "forms":
                return await self._forms(request, call, item)
            return await self._catalogue(request, call, widget, item)

    async def _roster(self, request: Request, call: Call, item: int | None) -> Response:
        require(call.principal, "view:group", FORBIDDEN)
        kind = "manual" if request.query_params.get("type") == "manual" else "automatic"
        groups, _ = await roster_groups(
            call, self.registry, kind, group_id=item, page=PageRequest(1, MOST)
        )
        if item is not None and not groups:
            raise NotFound("No such roster group.")
        return self.page(request, call, "roster.html", title="Roster", groups=groups, kind=kind)

    async def _calendar(self, request: Request, call: Call, item: int | None) -> Response:
        require(call.principal, "view:event", FORBIDDEN)
        events = self.registry.get("events")
        since = datetime.now(UTC) - timedelta(days=1)
        until = since + timedelta(days=CALENDAR_DAYS)
        ends, repeats = events.columns["ends"], events.columns["repeats"]
        where = [or_(ends >= since, repeats == true()), events.columns["starts"] <= until]
        if item is not None:
            where.append(events.columns["calendar_id"] == item)
        rows = await _rows(call, self.registry, "events", "calendar,schedule", where)
        shown = sorted(
            (o for event in rows for o in _occurrences(event, since, until)),
            key=lambda o: str(o["starts"]),
        )
        days: dict[str, list[dict[str, Any]]] = {}
        for event in shown:
            days.setdefault(_when(event["starts"], "%A %d %B %Y"), []).append(event)
        return self.page(request, call, "calendar.html", title="Calendar", days=days)

    async def _catalogue(
        self, request: Request, call: Call, widget: str, item: int | None
    ) -> Response:
        name, title, include = CATALOGUE[widget]
        resource = self.registry.get(name)
        call.allow("view", resource)
        where = [resource.id_col == item] if item is not None else []
        rows = await _rows(call, self.registry, name, include, where)
        if item is not None and not rows:
            raise NotFound("No such row.")
        return self.page(request, call, "catalogue.html", title=title, rows=rows)

    async def _forms(self, request: Request, call: Call, item: int | None) -> Response:
        forms = self.registry.get("forms")
        call.allow("view", forms)
        if item is None:
            rows = await _rows(call, self.registry, "forms")
            return self.page(request, call, "forms.html", title="Forms", forms=rows)
        rows = await _rows(call, self.registry, "forms", "fields", [forms.id_col == item])
        if not rows:
            raise NotFound("No such form.")
        return self.page(request, call, "form.html", title=rows[0]["name"], form=rows[0], errors={})

    async def submit(self, request: Request) -> Response:
        """A form widget's post: the engine stores it as ``forms/{id}/submissions``."""
        if request.path_params["widget"] != "forms":
            raise NotFound("Only the form widget takes posts.")
        raw = str(request.path_params.get("resource", ""))
        if not raw.isdigit():
            raise NotFound("No such form.")
        if not is_form(request):
            raise BadRequest("The form widget takes a form post.")
        request.scope["path_params"] = {"id": int(raw)}
        form = await read_form(request)
        async with self.open_call(request, writing=False) as call:
            user_id = call.principal.user_id
            rows = await _rows(
                call,
                self.registry,
                "forms",
                "fields",
                [self.registry.get("forms").id_col == int(raw)],
            )
        if not rows:
            raise NotFound("No such form.")
        fields = [(k, v) for k, v in form.multi_items() if k not in ("form_id", "user_id")]
        if user_id is not None:
            fields.append(("user_id", str(user_id)))
        request.scope.setdefault("state", {})[FORM_STATE_KEY] = FormData(fields)
        try:
            await self.actions.store(request, self.registry.get("forms"), "submissions")
        except ValidationFailed as exc:
            errors: dict[str, list[str]] = {}
            for problem in exc.errors or [FieldError("form", exc.message)]:
                errors.setdefault(problem.key or "form", []).append(problem.message)
        else:
            return self.page(request, call, "submitted.html", title=rows[0]["name"], form=rows[0])
        return self.page(
            request,
            call,
            "form.html",
            status=422,
            title=rows[0]["name"],
            form=rows[0],
            errors=errors,
        )


def widget_routes(registry: Registry, actions: Actions, open_call: CallOpener) -> list[BaseRoute]:
    widgets = Widgets(registry, actions, open_call)
    return [
        Route("/widgets/{widget}", widgets.show, methods=["GET"], include_in_schema=False),
        Route(
            "/widgets/{widget}/{resource}", widgets.show, methods=["GET"], include_in_schema=False
        ),
        Route(
            "/widgets/{widget}/{resource}",
            widgets.submit,
            methods=["POST"],
            include_in_schema=False,
        ),
    ]
