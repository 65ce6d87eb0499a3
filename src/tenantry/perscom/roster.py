"""``GET /roster?type=automatic|manual`` and ``/roster/{id}`` (``view:group``).

The roster is PERSCOM's groups list with relations always loaded (``RosterController``):
automatic, each group's units and the people assigned to them; manual, each unit's slots
and the people seated in each unit slot. Both carry the fields a roster shows: rank (with
its image), position, specialty and status. Everything but the seating of people in unit
slots is the engine's own includes, so visibility (hidden groups and units) and order
come from the declarations.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from tenantry.core.auth import require
from tenantry.core.errors import FieldError, NotFound
from tenantry.perscom.engine.actions import list_path
from tenantry.perscom.engine.context import FORBIDDEN, Call, CallOpener
from tenantry.perscom.engine.includes import load_includes, parse_includes
from tenantry.perscom.engine.problems import failure
from tenantry.perscom.engine.query import Compiler, fetch_page, page_request
from tenantry.perscom.engine.runtime import Compiled, Registry
from tenantry.perscom.engine.serialize import entity, paginated, respond

PERSON = ("rank", "rank.image", "position", "specialty", "status")
"""What the roster shows of each person."""
TYPES = ("automatic", "manual")


def _includes(kind: str) -> str:
    if kind == "automatic":
        return ",".join(f"units.users.{p}" for p in PERSON)
    return "units.slots.position,units.slots.specialty"


def roster_type(request: Request) -> str:
    kind = request.query_params.get("type") or "automatic"
    if kind not in TYPES:
        raise failure([FieldError("type", "The selected type is invalid.")])
    return kind


async def roster_groups(
    call: Call, registry: Registry, kind: str, *, group_id: int | None = None, page: Any = None
) -> tuple[list[dict[str, Any]], Any]:
    """The roster's groups as entities (and their page), everything loaded."""
    groups = registry.get("groups")
    wanted = "forAutomaticRoster" if kind == "automatic" else "forManualRoster"
    scope = next(s for s in groups.decl.scopes if s.name == wanted)
    condition = scope.apply(groups, [] if group_id is None else [group_id])
    extra = [c for c in (condition,) if c is not None]
    if group_id is not None:
        extra.append(groups.id_col == group_id)
    query = Compiler(groups, call.dialect).list_query(call.tenant_id, None, extra)
    found = await fetch_page(call.db, groups, query, page or page_request(call.request))
    data = [entity(groups, row, call.render) for row in found.rows]
    tree = parse_includes(groups, _includes(kind))
    await load_includes(call.db, registry, call.tenant_id, tree, data, call.render)
    if kind == "manual":
        await _seat_people(call, registry, data)
    return data, found


async def _seat_people(call: Call, registry: Registry, groups: list[dict[str, Any]]) -> None:
    """Each slot of a unit lists the people whose ``unit_slot_id`` is that unit slot."""
    slots = [
        slot
        for group in groups
        for unit in group.get("units") or ()
        for slot in unit.get("slots") or ()
    ]
    seats = {int(slot["pivot"]["id"]) for slot in slots if slot.get("pivot")}
    seated: dict[int, list[dict[str, Any]]] = {seat: [] for seat in seats}
    if seats:
        users: Compiled = registry.get("users")
        column = users.columns["unit_slot_id"]
        statement = (
            select(*users.select_columns)
            .select_from(users.from_clause)
            .where(users.tenant_col == call.tenant_id, column.in_(sorted(seats)))
            .order_by(*users.default_order)
        )
        people = [entity(users, row, call.render) for row in await call.db.rows(statement)]
        tree = parse_includes(users, ",".join(PERSON))
        await load_includes(call.db, registry, call.tenant_id, tree, people, call.render)
        for person in people:
            seated[int(person["unit_slot_id"])].append(person)
    for slot in slots:
        pivot = slot.get("pivot")
        slot["users"] = seated.get(int(pivot["id"]), []) if pivot else []


BUILDS = 4
"""Rosters built at once per process. A roster is one large body, built mostly on the CPU:
with many asked at once, the event loop would share itself between all of them and finish
them all late together; in turns, they finish one after the other (same throughput, half
the mean wait, a bounded number of bodies in memory). A few overlap one's queries with
another's building."""


def roster_routes(registry: Registry, open_call: CallOpener) -> list[BaseRoute]:
    turns = asyncio.Semaphore(BUILDS)

    async def index(request: Request) -> Response:
        kind = roster_type(request)
        page = page_request(request)
        async with turns, open_call(request, writing=False) as call:
            require(call.principal, "view:group", FORBIDDEN)
            data, found = await roster_groups(call, registry, kind, page=page)
            body = paginated(data, found, list_path(request))
            return respond(body)

    async def show(request: Request) -> Response:
        kind = roster_type(request)
        group_id = int(request.path_params["id"])
        async with turns, open_call(request, writing=False) as call:
            require(call.principal, "view:group", FORBIDDEN)
            data, _ = await roster_groups(call, registry, kind, group_id=group_id)
        if not data:
            raise NotFound("No query results for model [App\\Models\\Group].")
        return respond({"data": data[0]})

    return [
        Route("/roster", index, methods=["GET"], include_in_schema=False),
        Route("/roster/{id:int}", show, methods=["GET"], include_in_schema=False),
    ]
