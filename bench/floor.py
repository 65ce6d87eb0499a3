"""The floor: the least a Python server can do to answer each bench scenario.

Bare Starlette + an asyncpg pool + orjson, served by uvicorn with uvloop and httptools in one
process. It runs the statements Tenantry's PERSCOM face sends (users LEFT JOIN their profiles,
a deferred join for pages, one count over the same FROM, one ``= ANY`` query per include) and
answers with the same fields in the same envelope, but does no authentication beyond reading
the tenant from ``X-Perscom-Id`` (so no API-key lookup per request), no row-level security (it
connects as the table owner), no middleware and no validation layer.
A scenario's Tenantry/floor ratio therefore prices everything the framework adds.

Run: ``python -m bench.floor --port 8100 --dsn postgresql://postgres@127.0.0.1/tenantry_bench``.
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import asyncpg
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

# The PERSCOM user: the core ``users`` row plus its 1:1 ``perscom_user_profiles`` row (left
# joined on ``(tenant_id, user_id)``: a user made elsewhere has no profile yet). Output order
# and sources as the face's ``users`` declaration (src/tenantry/perscom/resources/people.py).
USER_COLUMNS = {
    "id": "u.id",
    "name": "u.name",
    "email": "u.email",
    "email_verified_at": "u.email_verified_at",
    "phone_number": "p.phone_number",
    "position_id": "p.position_id",
    "rank_id": "p.rank_id",
    "specialty_id": "p.specialty_id",
    "status_id": "p.status_id",
    "unit_id": "p.unit_id",
    "unit_slot_id": "p.unit_slot_id",
    "approved": "coalesce(p.approved, false)",
    "notes": "p.notes",
    "notes_updated_at": "p.notes_updated_at",
    "profile_photo": "p.profile_photo",
    "cover_photo": "p.cover_photo",
    "last_seen_at": "p.last_seen_at",
    "facebook_user_id": "p.facebook_user_id",
    "github_user_id": "p.github_user_id",
    "google_user_id": "p.google_user_id",
    "discord_user_id": "p.discord_user_id",
    "created_at": "u.created_at",
    "updated_at": "u.updated_at",
    "last_assignment_change_date": "p.last_assignment_change_date",
    "last_rank_change_date": "p.last_rank_change_date",
}
DATETIME_COLUMNS = frozenset(
    {
        "email_verified_at",
        "notes_updated_at",
        "last_seen_at",
        "created_at",
        "updated_at",
        "last_assignment_change_date",
        "last_rank_change_date",
    }
)
BOOLEAN_COLUMNS = frozenset({"approved"})
INTEGER_COLUMNS = frozenset(
    {"id", "position_id", "rank_id", "specialty_id", "status_id", "unit_id", "unit_slot_id"}
)
FILTERABLE = frozenset(USER_COLUMNS)
DEFAULT_LIMIT = 15
MAX_LIMIT = 1000
ONLINE_SECONDS = 300


@dataclass(frozen=True)
class Relation:
    """An ``?include=`` the floor can load: ``<column>`` of a user points at ``<table>.id``."""

    column: str
    table: str
    label: str
    columns: tuple[str, ...] = ("id", "name")


# Includes of the PERSCOM users resource, loaded through the profile's foreign key. Each is
# enabled at start-up only if its table exists in the bench database (the PERSCOM face's
# migration creates it); until then the include is accepted and ignored.
RELATIONS: dict[str, Relation] = {
    "rank": Relation(
        "rank_id",
        "perscom_ranks",
        "Rank",
        (
            "id",
            "name",
            "description",
            "abbreviation",
            "paygrade",
            '"order"',
            "created_at",
            "updated_at",
        ),
    ),
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


USERS_FROM = (
    "users u LEFT JOIN perscom_user_profiles p ON p.tenant_id = u.tenant_id AND p.user_id = u.id"
)
# The rank abbreviation for ``display_name``, a scalar subquery as the face selects it.
SELECT_USERS = ", ".join(
    [
        *(f"{expr} AS {name}" for name, expr in USER_COLUMNS.items()),
        "(SELECT r.abbreviation FROM perscom_ranks r WHERE r.tenant_id = u.tenant_id "
        "AND r.id = p.rank_id) AS rank_abbreviation",
    ]
)


def _includes(request: Request, state: FloorState) -> list[tuple[str, Relation]]:
    names = [n.strip() for n in request.query_params.get("include", "").split(",") if n.strip()]
    return [(n, state.relations[n]) for n in names if n in state.relations]


async def _load_includes(
    conn: asyncpg.Connection,
    tenant: int,
    rows: list[dict[str, Any]],
    includes: Sequence[tuple[str, Relation]],
) -> None:
    """One ``= ANY`` query per relation, never one per row."""
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
            found = {r["id"]: {**r, "label": f"{relation.label}: {r['id']}"} for r in records}
        for row in rows:
            row[name] = found.get(row.get(relation.column) or 0)


def _user(record: asyncpg.Record, now: float) -> dict[str, Any]:
    """A row as the face renders it, with its computed fields."""
    row = dict(record)
    row["label"] = f"User: {row['id']}"
    abbreviation = row.pop("rank_abbreviation")
    row["display_name"] = f"{abbreviation} {row['name']}" if abbreviation else row["name"]
    seen = row["last_seen_at"]
    row["online"] = seen is not None and now - seen.timestamp() < ONLINE_SECONDS
    if row["profile_photo"]:
        row["profile_photo_url"] = row["profile_photo"]
    else:
        query = urlencode({"name": row["name"], "color": "FFFFFF", "background": "111827"})
        row["profile_photo_url"] = f"https://ui-avatars.com/api/?{query}"
    row["cover_photo_url"] = row["cover_photo"]
    return row


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


# The face's statements: a deferred join (the page's ids from the index walk, then those rows
# with their profiles), one count over the same FROM, and the show by primary key.
USERS_PAGE_SQL = (
    f"SELECT {SELECT_USERS} FROM {USERS_FROM} JOIN (SELECT u.id AS page_id FROM {USERS_FROM} "
    "WHERE u.tenant_id = $1 ORDER BY u.id LIMIT $2 OFFSET $3) AS page ON u.id = page.page_id "
    "WHERE u.tenant_id = $1 ORDER BY u.id"
)
USERS_COUNT_SQL = f"SELECT count(*) FROM {USERS_FROM} WHERE u.tenant_id = $1"
USER_SHOW_SQL = f"SELECT {SELECT_USERS} FROM {USERS_FROM} WHERE u.tenant_id = $1 AND u.id = $2"


async def users_index(request: Request) -> Response:
    state = _state(request)
    tenant = _tenant(request)
    if tenant is None:
        return error(401, "Unauthenticated.")
    limit = _positive(request.query_params.get("limit"), DEFAULT_LIMIT, MAX_LIMIT)
    page = _positive(request.query_params.get("page"), 1)
    includes = _includes(request, state)
    async with state.pool.acquire() as conn:
        records = await conn.fetch(USERS_PAGE_SQL, tenant, limit, (page - 1) * limit)
        total = await conn.fetchval(USERS_COUNT_SQL, tenant)
        now = time.time()
        rows = [_user(r, now) for r in records]
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
        record = await conn.fetchrow(USER_SHOW_SQL, tenant, int(raw))
        if record is None:
            return error(404, "The requested resource could not be found.")
        rows = [_user(record, time.time())]
        await _load_includes(conn, tenant, rows, includes)
        names = {n.strip() for n in request.query_params.get("include", "").split(",")}
        await _user_records(conn, tenant, rows[0], names)
    return json_response({"data": rows[0]})


# PERSCOM service records: a user's award and rank records, newest first, with the document
# content as the face's correlated subquery (``document_parsed``), and the award of each award
# record as one ``= ANY`` query. Output order as the face's record declarations.


@dataclass(frozen=True)
class RecordKind:
    table: str
    columns: tuple[str, ...]
    label: str


AWARD_RECORDS = RecordKind(
    "perscom_records_awards",
    ("id", "user_id", "award_id", "document_id", "author_id", "text", "created_at", "updated_at"),
    "Award Record",
)
RANK_RECORDS = RecordKind(
    "perscom_records_ranks",
    (
        "id",
        "user_id",
        "rank_id",
        "type",
        "document_id",
        "author_id",
        "text",
        "created_at",
        "updated_at",
    ),
    "Rank Record",
)
AWARD_COLUMNS = 'id, name, description, "order", created_at, updated_at'
USER_EXISTS_SQL = "SELECT id FROM users WHERE tenant_id = $1 AND id = $2"


def _record_select(kind: RecordKind) -> str:
    columns = ", ".join(f"r.{c}" for c in kind.columns)
    return (
        f"SELECT {columns}, (SELECT d.content FROM perscom_documents d WHERE d.tenant_id = "
        f"r.tenant_id AND d.id = r.document_id) AS document FROM {kind.table} r"
    )


def _record(record: asyncpg.Record, kind: RecordKind) -> dict[str, Any]:
    row = dict(record)
    document = row.pop("document")
    row["label"] = f"{kind.label}: {row['id']}"
    row["document_parsed"] = document
    return row


async def _attach_awards(conn: asyncpg.Connection, tenant: int, rows: list[dict[str, Any]]) -> None:
    ids = sorted({row["award_id"] for row in rows})
    found: dict[int, dict[str, Any]] = {}
    if ids:
        records = await conn.fetch(
            f"SELECT {AWARD_COLUMNS} FROM perscom_awards WHERE tenant_id = $1 "
            "AND id = ANY($2::bigint[])",
            tenant,
            ids,
        )
        found = {r["id"]: {**r, "label": f"Award: {r['id']}"} for r in records}
    for row in rows:
        row["award"] = found.get(row["award_id"])


USER_AWARD_RECORDS_SQL = (
    f"{_record_select(AWARD_RECORDS)} WHERE r.tenant_id = $1 AND r.user_id = $2 "
    "ORDER BY r.created_at DESC, r.id DESC LIMIT $3 OFFSET $4"
)
USER_AWARD_RECORDS_COUNT_SQL = (
    "SELECT count(*) FROM perscom_records_awards WHERE tenant_id = $1 AND user_id = $2"
)


async def user_award_records(request: Request) -> Response:
    """``/v1/users/{id}/award-records?include=award``: the parent check, a page, a count."""
    state = _state(request)
    tenant = _tenant(request)
    if tenant is None:
        return error(401, "Unauthenticated.")
    raw = request.path_params["user_id"]
    if not raw.isdigit():
        return error(404, "The requested resource could not be found.")
    user_id = int(raw)
    limit = _positive(request.query_params.get("limit"), DEFAULT_LIMIT, MAX_LIMIT)
    page = _positive(request.query_params.get("page"), 1)
    async with state.pool.acquire() as conn:
        if await conn.fetchval(USER_EXISTS_SQL, tenant, user_id) is None:
            return error(404, "The requested resource could not be found.")
        records = await conn.fetch(
            USER_AWARD_RECORDS_SQL, tenant, user_id, limit, (page - 1) * limit
        )
        total = await conn.fetchval(USER_AWARD_RECORDS_COUNT_SQL, tenant, user_id)
        rows = [_record(r, AWARD_RECORDS) for r in records]
        if "award" in request.query_params.get("include", "").split(","):
            await _attach_awards(conn, tenant, rows)
    path = f"/v1/users/{user_id}/award-records"
    return json_response(_envelope(state, path, rows, page, limit, total))


async def _user_records(
    conn: asyncpg.Connection, tenant: int, user: dict[str, Any], names: set[str]
) -> None:
    """``include=rank_records,award_records.award`` on one user: one query per relation."""
    for name, kind in (("rank_records", RANK_RECORDS), ("award_records", AWARD_RECORDS)):
        if name not in names and not any(n.startswith(name + ".") for n in names):
            continue
        records = await conn.fetch(
            f"{_record_select(kind)} WHERE r.tenant_id = $1 AND r.user_id = ANY($2::bigint[]) "
            "ORDER BY r.created_at DESC, r.id DESC",
            tenant,
            [user["id"]],
        )
        user[name] = [_record(r, kind) for r in records]
        if name == "award_records" and "award_records.award" in names:
            await _attach_awards(conn, tenant, user[name])


# The Percolate user-role list over a scope tree: the grants that apply in the given scopes
# (made there or below them, inherited from above, tenant-wide), first page in id order and the
# total, with each grant's scope kind for its typed id. The same statements Tenantry's v5 engine
# sends: the related scopes first (closure table), then the page, and the total as two index
# ranges (scoped grants in those scopes + tenant-wide grants) rather than one OR.
RELATED_SCOPES_SQL = """
SELECT descendant_id FROM scope_links WHERE tenant_id = $1 AND ancestor_id = ANY($2)
UNION
SELECT ancestor_id FROM scope_links WHERE tenant_id = $1 AND descendant_id = ANY($2)
"""
USER_ROLE_PAGE_SQL = """
SELECT id, user_id, role_id, scope_id, created_at, updated_at FROM user_roles
WHERE tenant_id = $1 AND (scope_id = ANY($2) OR scope_id IS NULL)
ORDER BY id LIMIT $3 OFFSET $4
"""
USER_ROLE_SCOPED_COUNT_SQL = (
    "SELECT count(*) FROM user_roles WHERE tenant_id = $1 AND scope_id = ANY($2)"
)
USER_ROLE_WIDE_COUNT_SQL = (
    "SELECT count(*) FROM user_roles WHERE tenant_id = $1 AND scope_id IS NULL"
)


async def user_roles_index(request: Request) -> Response:
    state = _state(request)
    tenant = _tenant(request)
    if tenant is None:
        return error(401, "Unauthenticated.")
    raw = request.query_params.get("scope_ids", "")
    scope_ids = [int(part) for part in raw.split(",") if part.isdigit()]
    limit = _positive(request.query_params.get("limit"), 100, MAX_LIMIT)
    offset = int(request.query_params.get("offset", "0") or 0)
    async with state.pool.acquire() as conn:
        related = [r[0] for r in await conn.fetch(RELATED_SCOPES_SQL, tenant, scope_ids)]
        records = await conn.fetch(USER_ROLE_PAGE_SQL, tenant, related, limit, offset)
        total = await conn.fetchval(USER_ROLE_SCOPED_COUNT_SQL, tenant, related)
        total += await conn.fetchval(USER_ROLE_WIDE_COUNT_SQL, tenant)
        kinds = dict(
            await conn.fetch(
                "SELECT id, kind FROM scopes WHERE tenant_id = $1 AND id = ANY($2)",
                tenant,
                list({r["scope_id"] for r in records if r["scope_id"] is not None}),
            )
        )
    data = [
        {
            "id": f"user_role:{r['id']}",
            "user_id": f"user:{r['user_id']}",
            "role_id": f"role:{r['role_id']}",
            "scope_id": (
                f"account:{tenant}"
                if r["scope_id"] is None
                else f"{kinds.get(r['scope_id'], 'scope')}:{r['scope_id']}"
            ),
            "created_at": r["created_at"],
            "updated_at": r["updated_at"],
        }
        for r in records
    ]
    query = {"limit": limit, "offset": offset, "scope_ids": raw.split(","), "extend_scopes": True}
    return json_response({"meta": {"total": total, "query": query}, "data": data, "include": {}})


# Percolate posts: the face's statements for ``scope_ids`` + ``statuses`` (+ an optional
# metadata filter): one count, one page ordered by ``created_at`` with the id tie-breaker, the
# scopes' kinds (for wire ids) and ``include=channel_id`` as one ``= ANY`` query.
POST_COLUMNS = (
    "id, scope_id, user_id, assignee_id, name, description, status, live_at, live_at_timezone, "
    "url, xid, platform_id, channel_id, schema_id, schema_version, ext, term_ids, origin_ids, "
    "ingested, publish_error, created_at, updated_at"
)
CHANNEL_COLUMNS = (
    "id, name, type, xid, scope_id, platform_id, active, term_ids, created_at, updated_at"
)


def _post_filter(request: Request) -> tuple[str, list[Any]]:
    """``WHERE`` text and arguments (``$1`` is the tenant) for the scenario's filters."""
    clauses, args = ["tenant_id = $1"], []
    scope_ids = [
        int(part.rpartition(":")[2])
        for part in request.query_params.get("scope_ids", "").split(",")
        if part
    ]
    if scope_ids:
        args.append(scope_ids)
        clauses.append(f"scope_id = ANY(${len(args) + 1})")
    statuses = [s for s in request.query_params.get("statuses", "").split(",") if s]
    if statuses:
        args.append(statuses)
        clauses.append(f"status = ANY(${len(args) + 1})")
    # metadata.<schema>.<path>=value, or .from / .to bounds on a date path (one EXISTS with
    # both bounds, as the face builds it).
    wanted: dict[tuple[int, str], list[tuple[str, Any]]] = {}
    for key, value in request.query_params.items():
        if key.startswith("metadata."):
            schema, _, rest = key.removeprefix("metadata.").partition(".")
            path, _, op = rest.partition(".")
            schema_id = int(schema.removeprefix("schema:").partition("_")[0])
            if op:
                moment = datetime.fromisoformat(value).replace(tzinfo=UTC)
                wanted.setdefault((schema_id, path), []).append((op, moment))
            else:
                wanted.setdefault((schema_id, path), []).append(("in", value))
    for (schema_id, path), tests in wanted.items():
        args.extend([schema_id, path])
        conditions = [f"v.schema_id = ${len(args)} AND v.path = ${len(args) + 1}"]
        for op, value in tests:
            args.append(value)
            column = "v.value_text =" if op == "in" else ">=" if op == "from" else "<"
            if op != "in":
                column = f"v.value_time {column}"
            conditions.append(f"{column} ${len(args) + 1}")
        clauses.append(
            "EXISTS (SELECT 1 FROM percolate_metadata_values v WHERE v.tenant_id = $1"
            " AND v.object_kind = 'post' AND v.object_key = percolate_posts.id AND "
            + " AND ".join(conditions)
            + ")"
        )
    return " AND ".join(clauses), args


def _post(record: asyncpg.Record, kinds: dict[int, str]) -> dict[str, Any]:
    row = dict(record)
    ext = orjson.loads(row["ext"])
    return {
        "id": f"post:{row['id']}",
        "scope_id": f"{kinds.get(row['scope_id'], 'scope')}:{row['scope_id']}",
        "user_id": f"user:{row['user_id']}",
        "assignee_id": f"user:{row['assignee_id']}" if row["assignee_id"] else None,
        "name": row["name"],
        "description": row["description"],
        "status": row["status"],
        "live_at": row["live_at"],
        "live_at_timezone": row["live_at_timezone"],
        "url": row["url"],
        "xid": row["xid"],
        "platform_id": f"platform:{row['platform_id']}",
        "channel_id": f"channel:{row['channel_id']}",
        "schema_id": f"schema:{row['schema_id']}_{row['schema_version']}",
        "ext": ext,
        "term_ids": [f"term:{t}" for t in orjson.loads(row["term_ids"])],
        "origin_ids": orjson.loads(row["origin_ids"]),
        "ingested": row["ingested"],
        "publish_error": row["publish_error"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


async def posts_index(request: Request) -> Response:
    state = _state(request)
    tenant = _tenant(request)
    if tenant is None:
        return error(401, "Unauthenticated.")
    where, args = _post_filter(request)
    limit = _positive(request.query_params.get("limit"), 50, MAX_LIMIT)
    offset = int(request.query_params.get("offset", "0") or 0)
    page_sql = (
        f"SELECT {POST_COLUMNS} FROM percolate_posts WHERE {where}"
        f" ORDER BY created_at DESC, id DESC LIMIT ${len(args) + 2} OFFSET ${len(args) + 3}"
    )
    async with state.pool.acquire() as conn:
        total = await conn.fetchval(
            f"SELECT count(*) FROM percolate_posts WHERE {where}", tenant, *args
        )
        records = await conn.fetch(page_sql, tenant, *args, limit, offset)
        kinds = dict(
            await conn.fetch(
                "SELECT id, kind FROM scopes WHERE tenant_id = $1 AND id = ANY($2)",
                tenant,
                list({r["scope_id"] for r in records}),
            )
        )
        channels = await conn.fetch(
            f"SELECT {CHANNEL_COLUMNS} FROM percolate_channels"
            " WHERE tenant_id = $1 AND id = ANY($2)",
            tenant,
            list({r["channel_id"] for r in records}),
        )
    include = [
        {
            **dict(c),
            "id": f"channel:{c['id']}",
            "platform_id": f"platform:{c['platform_id']}",
            "scope_id": f"{kinds.get(c['scope_id'], 'scope')}:{c['scope_id']}",
            "term_ids": orjson.loads(c["term_ids"]),
        }
        for c in channels
    ]
    query = {"limit": limit, "offset": offset, **dict(request.query_params)}
    return json_response(
        {
            "meta": {"total": total, "query": query},
            "data": [_post(r, kinds) for r in records],
            "include": {"channel": include},
        }
    )


SCHEMA_SQL = (
    "SELECT s.id, s.scope_id, s.status, s.type, v.name, s.slug, v.definition,"
    " s.limit_resource_types, s.version, s.ext, s.created_at, s.updated_at"
    " FROM percolate_schemas s JOIN percolate_schema_versions v ON v.tenant_id = s.tenant_id"
    " AND v.schema_id = s.id AND v.version = s.version"
    " WHERE s.tenant_id = $1 AND s.id = ANY($2)"
)


async def post_show(request: Request) -> Response:
    """``GET /api/v5/post/{id}?include=schema_id``: the post, its scope's kind, its schema
    (current version joined) and whether the schema is in use, as the face reads them."""
    state = _state(request)
    tenant = _tenant(request)
    if tenant is None:
        return error(401, "Unauthenticated.")
    raw = request.path_params["post_id"].removeprefix("post:")
    if not raw.isdigit():
        return error(400, "Bad post id.")
    async with state.pool.acquire() as conn:
        record = await conn.fetchrow(
            f"SELECT {POST_COLUMNS} FROM percolate_posts WHERE tenant_id = $1 AND id = $2",
            tenant,
            int(raw),
        )
        if record is None:
            return error(404, "Not found.")
        kinds = dict(
            await conn.fetch(
                "SELECT id, kind FROM scopes WHERE tenant_id = $1 AND id = ANY($2)",
                tenant,
                [record["scope_id"]],
            )
        )
        schemas = await conn.fetch(SCHEMA_SQL, tenant, [record["schema_id"]])
        used = {
            r[0]
            for r in await conn.fetch(
                "SELECT s.id FROM percolate_schemas s WHERE s.tenant_id = $1 AND s.id = ANY($2)"
                " AND (SELECT 1 FROM percolate_posts p WHERE p.tenant_id = s.tenant_id"
                " AND p.schema_id = s.id LIMIT 1) IS NOT NULL",
                tenant,
                [s["id"] for s in schemas],
            )
        }
    included = []
    for schema in schemas:
        definition = orjson.loads(schema["definition"])
        key, version = schema["id"], schema["version"]
        included.append(
            {
                "id": f"schema:{key}",
                "scope_id": f"scope:{schema['scope_id']}" if schema["scope_id"] else None,
                "status": schema["status"],
                "type": schema["type"],
                "name": schema["name"],
                "slug": schema["slug"],
                "fields": definition.get("fields", []),
                "fieldsets": definition.get("fieldsets", []),
                "plugins": definition.get("plugins", []),
                "limit_resource_types": orjson.loads(schema["limit_resource_types"]),
                "in_use": key in used,
                "version": {
                    "version_id": f"schema:{key}_{version}",
                    "provenance_id": f"schema:{key}",
                    "latest_version_id": f"schema:{key}_{version}",
                    "previous_version_id": f"schema:{key}_{version - 1}" if version > 1 else None,
                },
                "ext": orjson.loads(schema["ext"]) or None,
                "created_at": schema["created_at"],
                "updated_at": schema["updated_at"],
            }
        )
    return json_response({"data": _post(record, kinds), "include": {"schema": included}})


class BadFilter(ValueError):
    pass


def _filter_value(column: str, value: Any) -> Any:
    if column in DATETIME_COLUMNS and isinstance(value, str):
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    if column in BOOLEAN_COLUMNS:
        return bool(value)
    if column in INTEGER_COLUMNS:
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
        expr = USER_COLUMNS[column]
        if value is None and operator in {"=", "!="}:
            clause = f"{expr} IS {'NOT ' if operator == '!=' else ''}NULL"
        elif operator in {"in", "not in"} and isinstance(value, list):
            params.append([_filter_value(column, v) for v in value])
            joiner = "= ANY" if operator == "in" else "<> ALL"
            clause = f"{expr} {joiner}(${first_param + len(params) - 1})"
        elif operator in OPERATORS:
            params.append(_filter_value(column, value))
            clause = f"{expr} {OPERATORS[operator]} ${first_param + len(params) - 1}"
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
            f"SELECT {SELECT_USERS} FROM {USERS_FROM} WHERE u.tenant_id = $1{where} "
            f"ORDER BY u.id LIMIT ${n + 2} OFFSET ${n + 3}",
            tenant,
            *params,
            limit,
            (page - 1) * limit,
        )
        total = await conn.fetchval(
            f"SELECT count(*) FROM {USERS_FROM} WHERE u.tenant_id = $1{where}", tenant, *params
        )
        now = time.time()
        rows = [_user(r, now) for r in records]
        await _load_includes(conn, tenant, rows, includes)
    return json_response(_envelope(state, "/v1/users/search", rows, page, limit, total))


# --------------------------------------------------------------------------------------------
# The app


async def _available_relations(
    conn: asyncpg.Connection,
) -> dict[str, Relation]:
    available = {}
    for name, relation in RELATIONS.items():
        if await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", relation.table):
            available[name] = relation
    return available


# PERSCOM newsfeed: newest first, author and recipient by name and photo (joined once), the
# page's likes in one ``= ANY`` query, the count only when the page does not tell it.
NEWSFEED_FROM = (
    "perscom_newsfeed n "
    "LEFT JOIN users a ON a.tenant_id = n.tenant_id AND a.id = n.author_id "
    "LEFT JOIN perscom_user_profiles ap ON ap.tenant_id = n.tenant_id AND ap.user_id = a.id "
    "LEFT JOIN users r ON r.tenant_id = n.tenant_id AND r.id = n.recipient_id "
    "LEFT JOIN perscom_user_profiles rp ON rp.tenant_id = n.tenant_id AND rp.user_id = r.id"
)
NEWSFEED_PAGE_SQL = (
    "SELECT n.id, n.description, n.event, n.type, n.headline, n.text, n.item, n.color, "
    "n.created_at, a.name AS author, ap.profile_photo AS author_photo, r.name AS recipient, "
    f"rp.profile_photo AS recipient_photo FROM {NEWSFEED_FROM} WHERE n.tenant_id = $1 "
    "ORDER BY n.created_at DESC, n.id DESC LIMIT $2 OFFSET $3"
)
NEWSFEED_COUNT_SQL = "SELECT count(*) FROM perscom_newsfeed WHERE tenant_id = $1"
NEWSFEED_LIKES_SQL = (
    "SELECT l.newsfeed_id, u.id, u.name FROM perscom_newsfeed_likes l JOIN users u "
    "ON u.tenant_id = l.tenant_id AND u.id = l.user_id WHERE l.tenant_id = $1 "
    "AND l.newsfeed_id = ANY($2::bigint[]) ORDER BY l.newsfeed_id, l.id"
)


def _photo(name: str | None, path: str | None) -> str | None:
    if path:
        return path
    if name is None:
        return None
    return "https://ui-avatars.com/api/?" + urlencode(
        {"name": name, "color": "FFFFFF", "background": "111827"}
    )


async def newsfeed_index(request: Request) -> Response:
    state = _state(request)
    tenant = _tenant(request)
    if tenant is None:
        return error(401, "Unauthenticated.")
    limit = _positive(request.query_params.get("limit"), DEFAULT_LIMIT, MAX_LIMIT)
    page = _positive(request.query_params.get("page"), 1)
    async with state.pool.acquire() as conn:
        records = await conn.fetch(NEWSFEED_PAGE_SQL, tenant, limit, (page - 1) * limit)
        total = len(records) if page == 1 and len(records) < limit else None
        if total is None:
            total = await conn.fetchval(NEWSFEED_COUNT_SQL, tenant)
        likes: dict[int, list[dict[str, Any]]] = {r["id"]: [] for r in records}
        if records:
            for like in await conn.fetch(NEWSFEED_LIKES_SQL, tenant, list(likes)):
                likes[like[0]].append({"id": like[1], "name": like[2]})
    rows = [
        {
            "id": r["id"],
            "author": r["author"],
            "author_profile_photo": _photo(r["author"], r["author_photo"]),
            "recipient": r["recipient"],
            "recipient_profile_photo": _photo(r["recipient"], r["recipient_photo"]),
            "description": r["description"],
            "event": r["event"],
            "type": r["type"],
            "headline": r["headline"],
            "text": r["text"],
            "item": r["item"],
            "color": r["color"],
            "likes": likes[r["id"]],
            "created_at": r["created_at"],
        }
        for r in records
    ]
    return json_response(_envelope(state, "/v1/newsfeed", rows, page, limit, total))


# PERSCOM automatic roster: a page of visible groups that hold units, their visible units in
# pivot order, every member of those units with the rank (and its image), position,
# specialty and status: one query per level, ``= ANY`` each.
GROUP_COLUMNS = 'id, name, description, empty, "order", hidden, icon, created_at, updated_at'
ROSTER_GROUPS_WHERE = (
    "g.tenant_id = $1 AND g.hidden = false AND EXISTS (SELECT 1 FROM perscom_group_units gu "
    "WHERE gu.tenant_id = g.tenant_id AND gu.group_id = g.id)"
)
ROSTER_GROUPS_SQL = (
    f"SELECT {', '.join('g.' + c.strip() for c in GROUP_COLUMNS.split(','))} "
    f'FROM perscom_groups g WHERE {ROSTER_GROUPS_WHERE} ORDER BY g."order", g.id '
    "LIMIT $2 OFFSET $3"
)
ROSTER_GROUPS_COUNT_SQL = f"SELECT count(*) FROM perscom_groups g WHERE {ROSTER_GROUPS_WHERE}"
ROSTER_UNITS_SQL = (
    'SELECT gu.group_id AS pivot_group_id, gu."order" AS pivot_order, u.id, u.name, '
    'u.description, u.empty, u."order", u.hidden, u.icon, u.created_at, u.updated_at '
    "FROM perscom_group_units gu JOIN perscom_units u ON u.tenant_id = gu.tenant_id "
    "AND u.id = gu.unit_id WHERE gu.tenant_id = $1 AND gu.group_id = ANY($2::bigint[]) "
    'AND u.hidden = false ORDER BY gu."order", u."order", u.id'
)
ROSTER_USERS_SQL = (
    f"SELECT {SELECT_USERS} FROM {USERS_FROM} WHERE u.tenant_id = $1 "
    "AND p.unit_id = ANY($2::bigint[]) ORDER BY u.id"
)
_CATALOGUE = '"order", created_at, updated_at'
ROSTER_RELATED = (
    (
        "rank",
        "rank_id",
        "perscom_ranks",
        f"id, name, description, abbreviation, paygrade, {_CATALOGUE}",
    ),
    ("position", "position_id", "perscom_positions", f"id, name, description, {_CATALOGUE}"),
    (
        "specialty",
        "specialty_id",
        "perscom_specialties",
        f"id, name, abbreviation, description, {_CATALOGUE}",
    ),
    ("status", "status_id", "perscom_statuses", f"id, name, color, icon, {_CATALOGUE}"),
)
RANK_IMAGES_SQL = (
    "SELECT id, name, description, filename, path, model_type, model_id, created_at, updated_at "
    "FROM perscom_images WHERE tenant_id = $1 AND model_type = 'App\\Models\\Rank' "
    "AND model_id = ANY($2::bigint[]) ORDER BY id"
)


async def roster_index(request: Request) -> Response:
    state = _state(request)
    tenant = _tenant(request)
    if tenant is None:
        return error(401, "Unauthenticated.")
    if request.query_params.get("type", "automatic") != "automatic":
        return error(422, "The floor serves the automatic roster only.")
    limit = _positive(request.query_params.get("limit"), DEFAULT_LIMIT, MAX_LIMIT)
    page = _positive(request.query_params.get("page"), 1)
    now = time.time()
    async with state.pool.acquire() as conn:
        groups = [
            dict(g) for g in await conn.fetch(ROSTER_GROUPS_SQL, tenant, limit, (page - 1) * limit)
        ]
        total = len(groups) if page == 1 and len(groups) < limit else None
        if total is None:
            total = await conn.fetchval(ROSTER_GROUPS_COUNT_SQL, tenant)
        units = [
            dict(u) for u in await conn.fetch(ROSTER_UNITS_SQL, tenant, [g["id"] for g in groups])
        ]
        people = [
            _user(r, now)
            for r in await conn.fetch(ROSTER_USERS_SQL, tenant, sorted({u["id"] for u in units}))
        ]
        for name, column, table, columns in ROSTER_RELATED:
            ids = sorted({p[column] for p in people if p.get(column)})
            found: dict[int, dict[str, Any]] = {}
            if ids:
                records = await conn.fetch(
                    f"SELECT {columns} FROM {table} "
                    "WHERE tenant_id = $1 AND id = ANY($2::bigint[])",
                    tenant,
                    ids,
                )
                found = {r["id"]: dict(r) for r in records}
            if name == "rank" and found:
                images = await conn.fetch(RANK_IMAGES_SQL, tenant, list(found))
                by_rank = {i["model_id"]: dict(i) for i in images}
                for rank_id, rank in found.items():
                    rank["image"] = by_rank.get(rank_id)
            for person in people:
                person[name] = found.get(person.get(column) or 0)
    members: dict[int, list[dict[str, Any]]] = {}
    for person in people:
        members.setdefault(person["unit_id"], []).append(person)
    by_group: dict[int, list[dict[str, Any]]] = {}
    for unit in units:
        group_id = unit.pop("pivot_group_id")
        unit["pivot"] = {
            "group_id": group_id,
            "unit_id": unit["id"],
            "order": unit.pop("pivot_order"),
        }
        unit["users"] = members.get(unit["id"], [])
        by_group.setdefault(group_id, []).append(unit)
    for group in groups:
        group["units"] = by_group.get(group["id"], [])
    return json_response(_envelope(state, "/v1/roster", groups, page, limit, total))


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
            Route("/v1/users/{user_id}/award-records", user_award_records),
            Route("/v1/newsfeed", newsfeed_index),
            Route("/v1/roster", roster_index),
            Route("/api/v5/user_role/", user_roles_index),
            Route("/api/v5/post/", posts_index),
            Route("/api/v5/post/{post_id}", post_show),
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
