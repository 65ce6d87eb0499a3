"""The floor: the least a Python server can do to answer each bench scenario.

Bare Starlette + an asyncpg pool + orjson, served by uvicorn with uvloop and httptools in one
process. It runs the same SQL shape as Tenantry should (a deferred join for pages, one count
with the same filter, one ``IN`` query per include) and answers with an envelope of about the
same size, but does no authentication beyond reading the tenant from ``X-Perscom-Id``, no
row-level security (it connects as the table owner), no middleware and no validation layer.
A scenario's Tenantry/floor ratio therefore prices everything the framework adds.

Run: ``python -m bench.floor --port 8100 --dsn postgresql://postgres@127.0.0.1/tenantry_bench``.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

USER_COLUMNS = (
    "id",
    "name",
    "email",
    "email_verified_at",
    "active",
    "timezone",
    "last_login_at",
    "created_at",
    "updated_at",
)
DATETIME_COLUMNS = frozenset({"email_verified_at", "last_login_at", "created_at", "updated_at"})
BOOLEAN_COLUMNS = frozenset({"active"})
FILTERABLE = frozenset(USER_COLUMNS)
DEFAULT_LIMIT = 15
MAX_LIMIT = 1000


@dataclass(frozen=True)
class Relation:
    """An ``?include=`` the floor can load: ``users.<column>`` points at ``<table>.id``."""

    column: str
    table: str
    columns: tuple[str, ...] = ("id", "name")


# Includes of the PERSCOM users resource. Each is enabled at start-up only if its column and
# table exist in the bench database (the PERSCOM face's migration creates them); until then
# the include is accepted and ignored. Adjust the names here if the face's schema differs.
RELATIONS: dict[str, Relation] = {
    "rank": Relation("rank_id", "perscom_ranks", ("id", "name", "abbreviation", "paygrade")),
}

OPERATORS = {
    "=": "=",
    "!=": "<>",
    "<": "<",
    "<=": "<=",
    ">": ">",
    ">=": ">=",
    "like": "LIKE",
    "not like": "NOT LIKE",
    "ilike": "ILIKE",
    "not ilike": "NOT ILIKE",
}
ORJSON_OPTIONS = orjson.OPT_UTC_Z


def json_response(payload: Any, status: int = 200) -> Response:
    return Response(
        orjson.dumps(payload, option=ORJSON_OPTIONS),
        status_code=status,
        media_type="application/json",
    )


def error(status: int, message: str) -> Response:
    return json_response({"error": {"message": message, "type": "FloorError"}}, status)


@dataclass
class FloorState:
    pool: asyncpg.Pool
    head: str | None
    relations: dict[str, Relation]
    base_url: str


def _state(request: Request) -> FloorState:
    state: FloorState = request.app.state.floor
    return state


def _tenant(request: Request) -> int | None:
    raw = request.headers.get("x-perscom-id", "")
    return int(raw) if raw.isdigit() else None


def _positive(raw: str | None, default: int, maximum: int | None = None) -> int:
    value = int(raw) if raw and raw.isdigit() else default
    value = value if value > 0 else default
    return min(value, maximum) if maximum else value


# --------------------------------------------------------------------------------------------
# Operations


async def healthz(_request: Request) -> Response:
    return json_response({"status": "ok"})


async def readyz(request: Request) -> Response:
    state = _state(request)
    async with state.pool.acquire() as conn:
        await conn.fetchval("SELECT 1")
        revision = await conn.fetchval("SELECT version_num FROM alembic_version LIMIT 1")
    if state.head is not None and revision != state.head:
        return json_response({"status": "unavailable", "reason": "migrations are not at head"}, 503)
    return json_response({"status": "ready"})


# --------------------------------------------------------------------------------------------
# PERSCOM-shaped users


SELECT_USERS = ", ".join(f"u.{c}" for c in USER_COLUMNS)


def _includes(request: Request, state: FloorState) -> list[tuple[str, Relation]]:
    names = [n.strip() for n in request.query_params.get("include", "").split(",") if n.strip()]
    return [(n, state.relations[n]) for n in names if n in state.relations]


async def _load_includes(
    conn: asyncpg.Connection,
    tenant: int,
    rows: list[dict[str, Any]],
    includes: Sequence[tuple[str, Relation]],
) -> None:
    """One ``IN`` query per relation, never one per row."""
    for name, relation in includes:
        ids = sorted({row[relation.column] for row in rows if row.get(relation.column)})
        found: dict[int, dict[str, Any]] = {}
        if ids:
            records = await conn.fetch(
                f"SELECT {', '.join(relation.columns)} FROM {relation.table} "
                "WHERE tenant_id = $1 AND id = ANY($2::bigint[])",
                tenant,
                ids,
            )
            found = {r["id"]: dict(r) for r in records}
        for row in rows:
            row[name] = found.get(row.get(relation.column) or 0)


def _user_columns(includes: Sequence[tuple[str, Relation]]) -> str:
    extra = [f"u.{rel.column}" for _, rel in includes if rel.column not in USER_COLUMNS]
    return ", ".join([SELECT_USERS, *extra])


def _envelope(
    state: FloorState, path: str, rows: list[dict[str, Any]], page: int, limit: int, total: int
) -> dict[str, Any]:
    """The Laravel paginated-collection envelope PERSCOM sends (PERSCOM reference §4.1)."""
    last_page = max(1, math.ceil(total / limit))
    url = f"{state.base_url}{path}"

    def link(n: int | None) -> str | None:
        return f"{url}?page={n}" if n is not None else None

    start = (page - 1) * limit
    window = range(max(1, page - 2), min(last_page, page + 2) + 1)
    return {
        "data": rows,
        "links": {
            "first": link(1),
            "last": link(last_page),
            "prev": link(page - 1 if page > 1 else None),
            "next": link(page + 1 if page < last_page else None),
        },
        "meta": {
            "current_page": page,
            "from": start + 1 if rows else None,
            "last_page": last_page,
            "links": [
                {
                    "url": link(page - 1 if page > 1 else None),
                    "label": "&laquo; Previous",
                    "active": False,
                },
                *({"url": link(n), "label": str(n), "active": n == page} for n in window),
                {
                    "url": link(page + 1 if page < last_page else None),
                    "label": "Next &raquo;",
                    "active": False,
                },
            ],
            "path": url,
            "per_page": limit,
            "to": start + len(rows) if rows else None,
            "total": total,
        },
    }


async def users_index(request: Request) -> Response:
    state = _state(request)
    tenant = _tenant(request)
    if tenant is None:
        return error(401, "Unauthenticated.")
    limit = _positive(request.query_params.get("limit"), DEFAULT_LIMIT, MAX_LIMIT)
    page = _positive(request.query_params.get("page"), 1)
    includes = _includes(request, state)
    async with state.pool.acquire() as conn:
        # Deferred join: walk the (tenant_id, id) index for the page's ids, then fetch 15 rows.
        records = await conn.fetch(
            f"SELECT {_user_columns(includes)} FROM (SELECT id FROM users WHERE tenant_id = $1 "
            "ORDER BY id LIMIT $2 OFFSET $3) AS page "
            "JOIN users u ON u.tenant_id = $1 AND u.id = page.id ORDER BY u.id",
            tenant,
            limit,
            (page - 1) * limit,
        )
        total = await conn.fetchval("SELECT count(*) FROM users WHERE tenant_id = $1", tenant)
        rows = [dict(r) for r in records]
        await _load_includes(conn, tenant, rows, includes)
    return json_response(_envelope(state, "/v1/users", rows, page, limit, total))


async def users_show(request: Request) -> Response:
    state = _state(request)
    tenant = _tenant(request)
    if tenant is None:
        return error(401, "Unauthenticated.")
    raw = request.path_params["user_id"]
    if not raw.isdigit():
        return error(404, "The requested resource could not be found.")
    includes = _includes(request, state)
    async with state.pool.acquire() as conn:
        record = await conn.fetchrow(
            f"SELECT {_user_columns(includes)} FROM users u WHERE u.tenant_id = $1 AND u.id = $2",
            tenant,
            int(raw),
        )
        if record is None:
            return error(404, "The requested resource could not be found.")
        rows = [dict(record)]
        await _load_includes(conn, tenant, rows, includes)
    return json_response({"data": rows[0]})


class BadFilter(ValueError):
    pass


def _filter_value(column: str, value: Any) -> Any:
    if column in DATETIME_COLUMNS and isinstance(value, str):
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    if column in BOOLEAN_COLUMNS:
        return bool(value)
    if column == "id":
        return int(value)
    return value


def build_filters(filters: Any, first_param: int) -> tuple[str, list[Any]]:
    """SQL for a PERSCOM search ``filters`` list (flat ``and``/``or``; whitelisted fields)."""
    if not isinstance(filters, list):
        raise BadFilter("filters must be a list")
    sql: list[str] = []
    params: list[Any] = []
    for item in filters:
        if not isinstance(item, dict):
            raise BadFilter("a filter must be an object")
        column = item.get("field")
        operator = str(item.get("operator", "=")).lower()
        value = item.get("value")
        if column not in FILTERABLE:
            raise BadFilter(f"The {column} field is not whitelisted.")
        if value is None and operator in {"=", "!="}:
            clause = f"u.{column} IS {'NOT ' if operator == '!=' else ''}NULL"
        elif operator in {"in", "not in"} and isinstance(value, list):
            params.append([_filter_value(column, v) for v in value])
            joiner = "= ANY" if operator == "in" else "<> ALL"
            clause = f"u.{column} {joiner}(${first_param + len(params) - 1})"
        elif operator in OPERATORS:
            params.append(_filter_value(column, value))
            clause = f"u.{column} {OPERATORS[operator]} ${first_param + len(params) - 1}"
        else:
            raise BadFilter(f"unknown operator {operator!r}")
        glue = "OR" if item.get("type") == "or" and sql else "AND"
        sql.append(f"{glue} {clause}" if sql else clause)
    return (f" AND ({' '.join(sql)})" if sql else ""), params


async def users_search(request: Request) -> Response:
    state = _state(request)
    tenant = _tenant(request)
    if tenant is None:
        return error(401, "Unauthenticated.")
    limit = _positive(request.query_params.get("limit"), DEFAULT_LIMIT, MAX_LIMIT)
    page = _positive(request.query_params.get("page"), 1)
    try:
        body = orjson.loads(await request.body() or b"{}")
        where, params = build_filters(body.get("filters", []), first_param=2)
    except (orjson.JSONDecodeError, BadFilter, ValueError, TypeError, AttributeError) as exc:
        return error(422, str(exc))
    includes = _includes(request, state)
    n = len(params)
    async with state.pool.acquire() as conn:
        records = await conn.fetch(
            f"SELECT {_user_columns(includes)} FROM users u WHERE u.tenant_id = $1{where} "
            f"ORDER BY u.id LIMIT ${n + 2} OFFSET ${n + 3}",
            tenant,
            *params,
            limit,
            (page - 1) * limit,
        )
        total = await conn.fetchval(
            f"SELECT count(*) FROM users u WHERE u.tenant_id = $1{where}", tenant, *params
        )
        rows = [dict(r) for r in records]
        await _load_includes(conn, tenant, rows, includes)
    return json_response(_envelope(state, "/v1/users/search", rows, page, limit, total))


# --------------------------------------------------------------------------------------------
# The app


async def _available_relations(
    conn: asyncpg.Connection,
) -> dict[str, Relation]:
    available = {}
    for name, relation in RELATIONS.items():
        found = await conn.fetchval(
            "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'public' AND "
            "((table_name = 'users' AND column_name = $1) OR (table_name = $2 AND column_name = "
            "'id'))",
            relation.column,
            relation.table,
        )
        if found == 2:
            available[name] = relation
    return available


def create_app(
    dsn: str,
    *,
    pool_size: int = 10,
    head: str | None = None,
    base_url: str = "http://127.0.0.1",
) -> Starlette:
    """The floor ASGI app; ``head`` is the migration revision ``/readyz`` expects."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        pool = await asyncpg.create_pool(dsn, min_size=pool_size, max_size=pool_size)
        try:
            async with pool.acquire() as conn:
                relations = await _available_relations(conn)
            app.state.floor = FloorState(pool, head, relations, base_url)
            yield
        finally:
            await pool.close()

    return Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/v1/users", users_index),
            Route("/v1/users/search", users_search, methods=["POST"]),
            Route("/v1/users/{user_id}", users_show),
        ],
        lifespan=lifespan,
    )


def main(argv: Sequence[str] | None = None) -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--dsn", required=True, help="asyncpg DSN (postgresql://...)")
    parser.add_argument("--pool-size", type=int, default=10)
    parser.add_argument("--head", default=None, help="migration revision /readyz expects")
    args = parser.parse_args(argv)
    app = create_app(
        args.dsn,
        pool_size=args.pool_size,
        head=args.head,
        base_url=f"http://{args.host}:{args.port}",
    )
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        loop="uvloop",
        http="httptools",
        log_level="warning",
        access_log=False,
        lifespan="on",
    )


if __name__ == "__main__":
    main()
