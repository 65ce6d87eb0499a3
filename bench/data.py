"""The bench data set: N users over T tenants in PostgreSQL, built fast and reused when it can be.

The database ``tenantry_bench`` is migrated with Tenantry's own migrations, then filled by an
ordered list of generator steps (``STEPS``) that COPY rows in with asyncpg. Ids come from the
app's sequence (``tenantry_id_seq``): each step reserves a block with one ``setval`` and numbers
its rows from it, so the server allocates past them as it would in production.

Reuse: a table ``bench_dataset`` (outside Tenantry's schema) keeps the fingerprint of what was
built: the plan (rows, tenants, seed), the migration head and the name and version of every step
that ran. The next run reuses the database when the fingerprint and the user count match, and
otherwise drops it and builds it again (a full build of 1 M users takes a minute or two).

Adding face data (PERSCOM ranks and profiles, Percolate posts, ...): write an ``async def`` that
takes a ``GenContext`` and an ``advance`` callback, and append a ``GeneratorStep`` to ``STEPS``
with ``needs_tables`` naming the tables its migration creates (the step is skipped, and the
fingerprint says so, until they exist). Bump ``version`` whenever the rows it makes change.
"""

from __future__ import annotations

import asyncio
import functools
import json
import random
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from bench.common import ADMIN_DSN, ASYNCPG_DSN, DB_NAME, bench_settings_overrides

FORMAT_VERSION = 3  # 2: PERSCOM ranks and user profiles; 3: Percolate posts
META_TABLE = "bench_dataset"
SEQUENCE = "tenantry_id_seq"  # tenantry.core.ids.SEQUENCE_NAME; checked at import below
CHUNK_ROWS = 20_000
COPY_CONNECTIONS = 2
POSTS = 1_000_000
"""Posts of the full data set (1 M users); ``GenContext.posts`` scales it."""

Advance = Callable[[int], None]


@dataclass(frozen=True)
class Plan:
    """What to build: ``rows`` users spread evenly over ``tenants`` tenants."""

    rows: int = 1_000_000
    tenants: int = 100
    seed: int = 20261126

    def as_dict(self) -> dict[str, int]:
        return {"rows": self.rows, "tenants": self.tenants, "seed": self.seed}


@dataclass(frozen=True)
class Dataset:
    """What scenarios need to know about the data: tenant ids and how user ids are laid out.

    Users are numbered ``k = 0 .. rows-1`` with id ``user_id_base + k`` and tenant
    ``tenant_ids[k % tenants]``: tenants interleave on disk as they would after years of
    sign-ups, so a tenant's page of 15 users touches 15 heap pages, not one.
    """

    plan: Plan
    facts: dict[str, Any]
    reused: bool = False

    @property
    def tenant_ids(self) -> list[int]:
        return [int(t) for t in self.facts["tenants"]["ids"]]

    def bench_tenant(self) -> int:
        """The tenant the scenarios read (one in the middle, with a full share of users)."""
        return self.tenant_ids[len(self.tenant_ids) // 2]

    def users_in_tenant(self, tenant_id: int) -> int:
        position = self.tenant_ids.index(tenant_id)
        per, extra = divmod(self.plan.rows, self.plan.tenants)
        return per + (1 if position < extra else 0)

    def user_id(self, tenant_id: int, index: int) -> int:
        """Id of the ``index``-th user (0-based, in id order) of ``tenant_id``."""
        if not 0 <= index < self.users_in_tenant(tenant_id):
            raise IndexError(f"tenant {tenant_id} has no user #{index}")
        position = self.tenant_ids.index(tenant_id)
        return int(self.facts["users"]["id_base"]) + index * self.plan.tenants + position


@dataclass
class GenContext:
    """Handed to every generator step: the plan, the facts so far, ids and bulk inserts.

    ``PgGenContext`` fills PostgreSQL with COPY; ``bench.embedded`` fills a SQLite file with
    the same steps (``executemany``), so both engines hold the same rows.
    """

    plan: Plan
    facts: dict[str, Any] = field(default_factory=dict)
    """Each step stores what later steps and scenarios need under its own name."""
    posts: int = POSTS
    """How many posts ``percolate_posts`` writes (scaled down with the users for SQLite)."""

    def rng(self, *salt: object) -> random.Random:
        """A deterministic generator for one step/chunk (same plan, same rows)."""
        return random.Random(f"{self.plan.seed}:{':'.join(map(str, salt))}")

    async def allocate_ids(self, count: int) -> int:
        """Reserve ``count`` consecutive ids from the app's allocator; return the first."""
        raise NotImplementedError

    async def copy(
        self,
        table: str,
        columns: Sequence[str],
        chunks: Iterable[list[tuple[Any, ...]]],
        advance: Advance,
    ) -> int:
        """Insert ``chunks`` of rows into ``table``; return the number of rows written."""
        raise NotImplementedError


@dataclass(kw_only=True)
class PgGenContext(GenContext):
    """PostgreSQL: ids from the app's sequence, rows by COPY over a small pool."""

    conn: asyncpg.Connection
    pool: asyncpg.Pool

    async def allocate_ids(self, count: int) -> int:
        """Reserve ``count`` consecutive ids from the app's sequence; return the first.

        ``nextval`` then ``setval`` is not atomic against other callers; nothing else writes
        to the bench database while it is being built.
        """
        last = await self.conn.fetchval(
            f"SELECT setval('{SEQUENCE}', nextval('{SEQUENCE}') + $1 - 1)", count
        )
        return int(last) - count + 1

    async def copy(
        self,
        table: str,
        columns: Sequence[str],
        chunks: Iterable[list[tuple[Any, ...]]],
        advance: Advance,
    ) -> int:
        """COPY ``chunks`` of rows into ``table`` over the pool, generating the next chunk
        while PostgreSQL ingests the previous ones. Returns the number of rows copied."""
        slots = asyncio.Semaphore(COPY_CONNECTIONS)
        tasks: list[asyncio.Task[None]] = []
        copied = 0

        async def send(rows: list[tuple[Any, ...]]) -> None:
            try:
                async with self.pool.acquire() as conn:
                    await conn.copy_records_to_table(table, records=rows, columns=list(columns))
                advance(len(rows))
            finally:
                slots.release()

        try:
            for rows in chunks:
                await slots.acquire()
                failed = [t for t in tasks if t.done() and t.exception() is not None]
                if failed:
                    slots.release()
                    break
                tasks.append(asyncio.create_task(send(rows)))
                copied += len(rows)
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
        return copied


StepRun = Callable[[GenContext, Advance], Awaitable[None]]


@dataclass(frozen=True)
class GeneratorStep:
    name: str
    version: int
    run: StepRun
    estimate: Callable[[Plan], int]
    """Rows the step will write (the progress bar's total)."""
    tables: tuple[str, ...]
    """Tables the step fills: vacuumed and analyzed afterwards."""
    needs_tables: tuple[str, ...] = ()
    """Skip the step until these tables exist (a face whose migration is not merged yet)."""


# --------------------------------------------------------------------------------------------
# Core identity: tenants, their built-in roles, users, one role grant per user.


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST_NAMES = _words(
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara "
    "Richard Susan Joseph Jessica Thomas Sarah Charles Karen Daniel Nancy Matthew Lisa Anthony "
    "Betty Mark Sandra Paul Ashley Steven Emily Andrew Donna Joshua Michelle Kevin Carol Brian "
    "Amanda"
)
LAST_NAMES = _words(
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
    "Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris "
    "Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill "
    "Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts"
)
TIMEZONES = (
    "UTC",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "Europe/London",
    "Europe/Berlin",
    "Asia/Tokyo",
    "Australia/Sydney",
)
EPOCH = datetime(2019, 1, 1, tzinfo=UTC)
SPAN_SECONDS = 6 * 365 * 24 * 3600  # sign-ups spread over six years, in id order


async def gen_tenants(ctx: GenContext, advance: Advance) -> None:
    count = ctx.plan.tenants
    first = await ctx.allocate_ids(count)
    rows = [
        (first + i, f"Bench Org {i + 1:03d}", True, EPOCH, EPOCH + timedelta(days=i))
        for i in range(count)
    ]
    await ctx.copy("tenants", ("id", "name", "active", "created_at", "updated_at"), [rows], advance)
    ctx.facts["tenants"] = {"ids": [row[0] for row in rows]}


async def gen_roles(ctx: GenContext, advance: Advance) -> None:
    from tenantry.core.identity.service import BUILTIN_ROLES

    tenant_ids: list[int] = ctx.facts["tenants"]["ids"]
    presets = list(BUILTIN_ROLES.items())
    first = await ctx.allocate_ids(len(tenant_ids) * len(presets))
    rows = [
        (tenant_id, first + t * len(presets) + p, name, description, name, EPOCH, EPOCH)
        for t, tenant_id in enumerate(tenant_ids)
        for p, (name, description) in enumerate(presets)
    ]
    columns = ("tenant_id", "id", "name", "description", "preset", "created_at", "updated_at")
    await ctx.copy("roles", columns, [rows], advance)
    ctx.facts["roles"] = {"id_base": first, "presets": [name for name, _ in presets]}


def _role_id(ctx: GenContext, tenant_position: int, preset: str) -> int:
    roles = ctx.facts["roles"]
    presets: list[str] = roles["presets"]
    return int(roles["id_base"]) + tenant_position * len(presets) + presets.index(preset)


async def gen_users(ctx: GenContext, advance: Advance) -> None:
    from tenantry.core.identity.passwords import hash_password

    plan = ctx.plan
    tenant_ids: list[int] = ctx.facts["tenants"]["ids"]
    base = await ctx.allocate_ids(plan.rows)
    # One real argon2 hash (of a random password nobody knows) gives rows a realistic width.
    password_hash = hash_password(secrets.token_urlsafe(16))
    tenants = plan.tenants
    step = SPAN_SECONDS / max(plan.rows, 1)
    epoch = EPOCH.timestamp()
    # Everything that can be is computed once: ~10 us a row matters at a million rows.
    people = [(f"{f} {last}", f"{f}.{last}.".lower()) for f in FIRST_NAMES for last in LAST_NAMES]
    domains = [f"@org{position + 1}.bench.test" for position in range(tenants)]
    days = [timedelta(days=d) for d in range(1000)]
    hour = timedelta(hours=1)

    def chunk(start: int) -> list[tuple[Any, ...]]:
        bits = ctx.rng("users", start).getrandbits
        rows: list[tuple[Any, ...]] = []
        for k in range(start, min(start + CHUNK_ROWS, plan.rows)):
            position, local = k % tenants, k // tenants
            r = bits(48)  # one draw, sliced: person, a 1/1024 roll, two day offsets
            name, prefix = people[r % len(people)]
            roll = (r >> 12) & 1023
            created = datetime.fromtimestamp(epoch + k * step, UTC)
            rows.append(
                (
                    tenant_ids[position],
                    base + k,
                    f"{prefix}{local}{domains[position]}",
                    name,
                    password_hash,
                    roll < 973,  # 95% active
                    TIMEZONES[roll % len(TIMEZONES)],
                    created + hour if roll < 819 else None,  # 80% verified
                    created + days[1 + (r >> 22) % 900] if roll < 614 else None,  # 60% signed in
                    created,
                    created + days[(r >> 32) % 366],
                )
            )
        return rows

    columns = (
        "tenant_id",
        "id",
        "email",
        "name",
        "password_hash",
        "active",
        "timezone",
        "email_verified_at",
        "last_login_at",
        "created_at",
        "updated_at",
    )
    await ctx.copy("users", columns, (chunk(s) for s in range(0, plan.rows, CHUNK_ROWS)), advance)
    ctx.facts["users"] = {"id_base": base, "count": plan.rows}


async def gen_user_roles(ctx: GenContext, advance: Advance) -> None:
    """The first user of each tenant is an ``admin``; everyone else a ``member``."""
    plan = ctx.plan
    tenant_ids: list[int] = ctx.facts["tenants"]["ids"]
    user_base = int(ctx.facts["users"]["id_base"])
    base = await ctx.allocate_ids(plan.rows)
    tenants = plan.tenants
    epoch, step = EPOCH.timestamp(), SPAN_SECONDS / max(plan.rows, 1)
    roles = [
        (_role_id(ctx, position, "admin"), _role_id(ctx, position, "member"))
        for position in range(tenants)
    ]

    def chunk(start: int) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = []
        for k in range(start, min(start + CHUNK_ROWS, plan.rows)):
            position = k % tenants
            created = datetime.fromtimestamp(epoch + k * step, UTC)
            rows.append(
                (
                    tenant_ids[position],
                    base + k,
                    user_base + k,
                    roles[position][0 if k < tenants else 1],
                    created,
                    created,
                )
            )
        return rows

    columns = ("tenant_id", "id", "user_id", "role_id", "created_at", "updated_at")
    await ctx.copy(
        "user_roles", columns, (chunk(s) for s in range(0, plan.rows, CHUNK_ROWS)), advance
    )


# --------------------------------------------------------------------------------------------
# Percolate v5: a deep scope tree in the bench tenant and 100 k user roles spread over it.

SCOPE_BRANCHING = 3
SCOPE_LEVELS = 7  # 1 + 3 + ... + 3**6 = 1 093 scopes, seven levels deep
GRANTS_PER_USER = 10


def _scope_kind(level: int) -> str:
    return "brand" if level == SCOPE_LEVELS - 1 else "license" if level >= 4 else "license_group"


async def gen_percolate_scope_tree(ctx: GenContext, advance: Advance) -> None:
    """Scopes (with their closure rows) under the bench tenant, and ``GRANTS_PER_USER`` grants
    of the ``member`` role per user of that tenant, each in a different scope of the tree."""
    tenant_ids: list[int] = ctx.facts["tenants"]["ids"]
    position = len(tenant_ids) // 2
    tenant = tenant_ids[position]
    count = sum(SCOPE_BRANCHING**level for level in range(SCOPE_LEVELS))
    base = await ctx.allocate_ids(count)
    scopes: list[tuple[Any, ...]] = []
    links: list[tuple[Any, ...]] = []
    # A complete tree in breadth-first order: node i's parent is (i - 1) // branching.
    parents: list[int | None] = [None] + [(i - 1) // SCOPE_BRANCHING for i in range(1, count)]
    depth_of = [0] * count
    for i in range(1, count):
        depth_of[i] = depth_of[(i - 1) // SCOPE_BRANCHING] + 1
    for i in range(count):
        scope_id = base + i
        parent = parents[i]
        scopes.append(
            (
                tenant,
                scope_id,
                _scope_kind(depth_of[i]),
                f"Scope {i}",
                None if parent is None else base + parent,
                depth_of[i],
                EPOCH,
                EPOCH,
            )
        )
        distance, cursor = 0, i
        while cursor is not None:
            links.append((tenant, base + cursor, scope_id, distance))
            distance, cursor = distance + 1, parents[cursor]
    await ctx.copy(
        "scopes",
        ("tenant_id", "id", "kind", "name", "parent_id", "depth", "created_at", "updated_at"),
        [scopes],
        advance,
    )
    await ctx.copy(
        "scope_links", ("tenant_id", "ancestor_id", "descendant_id", "distance"), [links], advance
    )
    users = ctx.plan.rows // ctx.plan.tenants
    member = _role_id(ctx, position, "member")
    user_base = int(ctx.facts["users"]["id_base"])
    grant_base = await ctx.allocate_ids(users * GRANTS_PER_USER)
    stride = count // GRANTS_PER_USER

    def chunk(start: int) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = []
        for g in range(start, min(start + CHUNK_ROWS, users * GRANTS_PER_USER)):
            local, j = divmod(g, GRANTS_PER_USER)
            created = EPOCH + timedelta(seconds=g)
            scope = base + (local * 7 + j * stride) % count
            user = user_base + local * ctx.plan.tenants + position
            rows.append((tenant, grant_base + g, user, member, scope, created, created))
        return rows

    total = users * GRANTS_PER_USER
    await ctx.copy(
        "user_roles",
        ("tenant_id", "id", "user_id", "role_id", "scope_id", "created_at", "updated_at"),
        (chunk(s) for s in range(0, total, CHUNK_ROWS)),
        advance,
    )
    ctx.facts["percolate_scopes"] = {"tenant": tenant, "probe": base + 1, "root": base}


# --------------------------------------------------------------------------------------------
# PERSCOM: a rank ladder per tenant and one profile (rank, approval, activity) per user.

RANKS = (
    ("Private", "PVT", "E-1"),
    ("Private Second Class", "PV2", "E-2"),
    ("Private First Class", "PFC", "E-3"),
    ("Specialist", "SPC", "E-4"),
    ("Corporal", "CPL", "E-4"),
    ("Sergeant", "SGT", "E-5"),
    ("Staff Sergeant", "SSG", "E-6"),
    ("Sergeant First Class", "SFC", "E-7"),
    ("Master Sergeant", "MSG", "E-8"),
    ("First Sergeant", "1SG", "E-8"),
    ("Sergeant Major", "SGM", "E-9"),
    ("Warrant Officer 1", "WO1", "W-1"),
    ("Chief Warrant Officer 2", "CW2", "W-2"),
    ("Second Lieutenant", "2LT", "O-1"),
    ("First Lieutenant", "1LT", "O-2"),
    ("Captain", "CPT", "O-3"),
    ("Major", "MAJ", "O-4"),
    ("Lieutenant Colonel", "LTC", "O-5"),
    ("Colonel", "COL", "O-6"),
    ("Brigadier General", "BG", "O-7"),
)
RANK_WEIGHTS = tuple(max(1, 64 >> (r // 2)) for r in range(len(RANKS)))
"""Most members hold junior ranks: weights halve every two ranks up the ladder."""


async def gen_perscom_ranks(ctx: GenContext, advance: Advance) -> None:
    tenant_ids: list[int] = ctx.facts["tenants"]["ids"]
    first = await ctx.allocate_ids(len(tenant_ids) * len(RANKS))
    rows = [
        (
            tenant_id,
            first + t * len(RANKS) + r,
            name,
            f"The rank of {name.lower()} (pay grade {paygrade}).",
            abbreviation,
            paygrade,
            r + 1,
            EPOCH,
            EPOCH,
        )
        for t, tenant_id in enumerate(tenant_ids)
        for r, (name, abbreviation, paygrade) in enumerate(RANKS)
    ]
    columns = (
        "tenant_id",
        "id",
        "name",
        "description",
        "abbreviation",
        "paygrade",
        "order",
        "created_at",
        "updated_at",
    )
    await ctx.copy("perscom_ranks", columns, [rows], advance)
    ctx.facts["perscom_ranks"] = {"id_base": first, "per_tenant": len(RANKS)}


async def gen_perscom_user_profiles(ctx: GenContext, advance: Advance) -> None:
    """One profile per user (keyed like the user), every one with a rank of its tenant."""
    plan = ctx.plan
    tenant_ids: list[int] = ctx.facts["tenants"]["ids"]
    user_base = int(ctx.facts["users"]["id_base"])
    rank_base = int(ctx.facts["perscom_ranks"]["id_base"])
    tenants, per_tenant = plan.tenants, len(RANKS)
    epoch, step = EPOCH.timestamp(), SPAN_SECONDS / max(plan.rows, 1)
    # A lookup table turns one random draw into a weighted rank index.
    ladder = [r for r, weight in enumerate(RANK_WEIGHTS) for _ in range(weight)]
    days = [timedelta(days=d) for d in range(1000)]
    minutes = [timedelta(minutes=m) for m in range(1440)]

    def chunk(start: int) -> list[tuple[Any, ...]]:
        bits = ctx.rng("perscom_user_profiles", start).getrandbits
        rows: list[tuple[Any, ...]] = []
        for k in range(start, min(start + CHUNK_ROWS, plan.rows)):
            position = k % tenants
            r = bits(48)
            roll = r & 1023
            created = datetime.fromtimestamp(epoch + k * step, UTC)
            rank = ladder[(r >> 10) % len(ladder)]
            promoted = created + days[(r >> 20) % 700]
            rows.append(
                (
                    tenant_ids[position],
                    user_base + k,
                    f"+1 555 {(r >> 30) % 1000:03d} {k % 10000:04d}" if roll < 400 else None,
                    rank_base + position * per_tenant + rank,
                    roll < 922,  # 90% approved
                    promoted + minutes[(r >> 40) % 1440] if roll < 512 else None,  # half seen
                    promoted,
                )
            )
        return rows

    columns = (
        "tenant_id",
        "user_id",
        "phone_number",
        "rank_id",
        "approved",
        "last_seen_at",
        "last_rank_change_date",
    )
    await ctx.copy(
        "perscom_user_profiles",
        columns,
        (chunk(s) for s in range(0, plan.rows, CHUNK_ROWS)),
        advance,
    )


AWARDS = (
    "Army Commendation Medal",
    "Army Achievement Medal",
    "Good Conduct Medal",
    "National Defense Service Medal",
    "Army Service Ribbon",
    "Overseas Service Ribbon",
)
RECORD_TENANTS = 3
"""Service records go to the bench tenant and its neighbours only (a few tenants' users)."""


def _record_tenants(ctx: GenContext) -> list[tuple[int, int]]:
    """``(position, tenant id)`` of the tenants whose users get service records."""
    tenant_ids: list[int] = ctx.facts["tenants"]["ids"]
    middle = len(tenant_ids) // 2
    start = max(0, middle - RECORD_TENANTS // 2)
    return [(p, tenant_ids[p]) for p in range(start, min(len(tenant_ids), start + RECORD_TENANTS))]


async def gen_perscom_records(ctx: GenContext, advance: Advance) -> None:
    """Awards for a few tenants, and every one of their users 1-3 award records and 1-2 rank
    records (promotions up to the rank the profile holds), dated after the sign-up."""
    plan = ctx.plan
    user_base = int(ctx.facts["users"]["id_base"])
    rank_base = int(ctx.facts["perscom_ranks"]["id_base"])
    tenants = _record_tenants(ctx)
    award_base = await ctx.allocate_ids(len(tenants) * len(AWARDS))
    awards = [
        (tenant_id, award_base + t * len(AWARDS) + a, name, None, a + 1, EPOCH, EPOCH)
        for t, (_, tenant_id) in enumerate(tenants)
        for a, name in enumerate(AWARDS)
    ]
    await ctx.copy(
        "perscom_awards",
        ("tenant_id", "id", "name", "description", "order", "created_at", "updated_at"),
        [awards],
        advance,
    )
    epoch, step = EPOCH.timestamp(), SPAN_SECONDS / max(plan.rows, 1)
    award_rows: list[tuple[Any, ...]] = []
    rank_rows: list[tuple[Any, ...]] = []
    for t, (position, tenant_id) in enumerate(tenants):
        users = range(position, plan.rows, plan.tenants)
        first = await ctx.allocate_ids(len(users) * 5)
        rng = ctx.rng("perscom_records", tenant_id)
        for n, k in enumerate(users):
            created = datetime.fromtimestamp(epoch + k * step, UTC)
            user_id = user_base + k
            for i in range(1 + n % 3):
                when = created + timedelta(days=30 * (i + 1), minutes=rng.randrange(1440))
                award = award_base + t * len(AWARDS) + rng.randrange(len(AWARDS))
                award_rows.append(
                    (tenant_id, first + 5 * n + i, user_id, award, "For service.", when, when)
                )
            for i in range(1 + n % 2):
                when = created + timedelta(days=60 * (i + 1))
                rank = rank_base + position * len(RANKS) + i
                rank_rows.append(
                    (tenant_id, first + 5 * n + 3 + i, user_id, rank, 0, "Promoted.", when, when)
                )
    stamps = ("created_at", "updated_at")
    await ctx.copy(
        "perscom_records_awards",
        ("tenant_id", "id", "user_id", "award_id", "text", *stamps),
        (award_rows[i : i + CHUNK_ROWS] for i in range(0, len(award_rows), CHUNK_ROWS)),
        advance,
    )
    await ctx.copy(
        "perscom_records_ranks",
        ("tenant_id", "id", "user_id", "rank_id", "type", "text", *stamps),
        (rank_rows[i : i + CHUNK_ROWS] for i in range(0, len(rank_rows), CHUNK_ROWS)),
        advance,
    )


ROSTER_GROUPS = 3
UNITS_PER_GROUP = 4
LIKED_EVERY = 3
"""Every third newsfeed item is liked by its recipient and the next member."""


async def gen_perscom_roster_newsfeed(ctx: GenContext, advance: Advance) -> None:
    """For the record tenants: a roster (3 groups of 4 units, every member in one unit) and a
    newsfeed (one item per award and rank record, as the face posts them, some liked)."""
    assert isinstance(ctx, PgGenContext), "PostgreSQL SQL: not a step of the embedded data set"
    for _, tenant_id in _record_tenants(ctx):
        units = ROSTER_GROUPS * UNITS_PER_GROUP
        group_base = await ctx.allocate_ids(ROSTER_GROUPS)
        unit_base = await ctx.allocate_ids(units)
        names = ("Command", "1st Battalion", "2nd Battalion")
        stamps = (EPOCH, EPOCH)
        groups = [
            (tenant_id, group_base + g, names[g], g, False, *stamps) for g in range(ROSTER_GROUPS)
        ]
        unit_rows = [
            (tenant_id, unit_base + u, f"Company {u + 1}", u % UNITS_PER_GROUP, False, *stamps)
            for u in range(units)
        ]
        links = [
            (tenant_id, group_base + u // UNITS_PER_GROUP, unit_base + u, u % UNITS_PER_GROUP)
            for u in range(units)
        ]
        columns = ("tenant_id", "id", "name", "order", "hidden", "created_at", "updated_at")
        await ctx.copy("perscom_groups", columns, [groups], advance)
        await ctx.copy("perscom_units", columns, [unit_rows], advance)
        await ctx.copy(
            "perscom_group_units", ("tenant_id", "group_id", "unit_id", "order"), [links], advance
        )
        await ctx.conn.execute(
            "UPDATE perscom_user_profiles SET unit_id = $2 + user_id % $3 WHERE tenant_id = $1",
            tenant_id,
            unit_base,
            units,
        )
        for table, named, label, colour in (
            ("perscom_records_awards", "perscom_awards", "Award Record", "#ca8a04"),
            ("perscom_records_ranks", "perscom_ranks", "Rank Record", "#7c3aed"),
        ):
            key = "award_id" if table.endswith("awards") else "rank_id"
            count = await ctx.conn.fetchval(
                f"SELECT count(*) FROM {table} WHERE tenant_id = $1", tenant_id
            )
            base = await ctx.allocate_ids(int(count))
            kind = label.lower().replace(" ", "_")
            done = await ctx.conn.execute(
                f"""
                INSERT INTO perscom_newsfeed (tenant_id, id, author_id, recipient_id, subject_type,
                    subject_id, description, event, type, headline, text, item, color,
                    created_at, updated_at)
                SELECT r.tenant_id, $2 + row_number() OVER (ORDER BY r.id) - 1, r.author_id,
                    r.user_id, $3, r.id, $4, 'created', $5, $6 || ' for ' || u.name, r.text,
                    x.name, $7, r.created_at, r.updated_at
                FROM {table} r
                JOIN users u ON u.tenant_id = r.tenant_id AND u.id = r.user_id
                JOIN {named} x ON x.tenant_id = r.tenant_id AND x.id = r.{key}
                WHERE r.tenant_id = $1
                """,
                tenant_id,
                base,
                "App\\Models\\" + label.replace(" ", ""),
                f"A new {label.lower()} has been added",
                kind,
                label,
                colour,
            )
            advance(int(done.split()[-1]))
        liked = await ctx.conn.fetchval(
            "SELECT count(*) FROM perscom_newsfeed WHERE tenant_id = $1 AND id % $2 = 0",
            tenant_id,
            LIKED_EVERY,
        )
        like_base = await ctx.allocate_ids(2 * int(liked))
        await ctx.conn.execute(
            """
            INSERT INTO perscom_newsfeed_likes (tenant_id, id, newsfeed_id, user_id, created_at,
                updated_at)
            SELECT n.tenant_id, $3 + 2 * (row_number() OVER (ORDER BY n.id) - 1) + k, n.id,
                CASE WHEN k = 0 THEN n.recipient_id ELSE n.author_id END, n.created_at,
                n.created_at
            FROM perscom_newsfeed n CROSS JOIN (VALUES (0), (1)) AS likers(k)
            WHERE n.tenant_id = $1 AND n.id % $2 = 0
              AND (k = 0 OR (n.author_id IS NOT NULL AND n.author_id <> n.recipient_id))
            """,
            tenant_id,
            LIKED_EVERY,
            like_base,
        )


# --------------------------------------------------------------------------------------------
# Percolate content: 1 M posts in the bench tenant, over the licenses of its scope tree.

POST_STATUSES = (
    # (status, weight out of 100, scheduled): most posts are drafts or live, some queued.
    ("draft", 28, False),
    ("approvals.queued", 4, True),
    ("queued", 14, True),
    ("queued.paused", 2, True),
    ("queued.error", 1, True),
    ("live", 46, True),
    ("unpublished", 5, True),
)
POST_SCHEMA_DEFINITION = {
    "fields": [
        {"key": "message", "type": "textarea", "required": True, "ext": {"max_length": 5000}},
        {"key": "link", "type": "text"},
    ]
}
META_REGIONS = ("emea", "amer", "apac", "latam", "anz")
META_SCHEMA_DEFINITION = {
    "fields": [
        {
            "key": "region",
            "type": "select",
            "ext": {"values": [{"value": v, "label": v.upper()} for v in META_REGIONS]},
        },
        {"key": "launch", "type": "date"},
    ]
}
TOPIC_WORDS = _words(
    "spring summer autumn winter launch sale store recipe guide story interview event "
    "behind-the-scenes giveaway update review tutorial announcement"
)


def _license_scopes(tree: dict[str, Any]) -> list[int]:
    """The scope tree's licenses (levels 4 and 5 of the breadth-first numbering)."""
    start = sum(SCOPE_BRANCHING**level for level in range(4))
    end = sum(SCOPE_BRANCHING**level for level in range(SCOPE_LEVELS - 1))
    return [int(tree["root"]) + i for i in range(start, end)]


def _checked_definition(raw: dict[str, Any]) -> str:
    """The definition as the app stores it (run through its own schema parser)."""
    from tenantry.percolate.schema.definition import parse_definition

    return json.dumps(parse_definition(raw).as_json())


async def gen_percolate_posts(ctx: GenContext, advance: Advance) -> None:
    """A custom platform, one channel per license, a post schema and a metadata schema, and
    ``POSTS`` posts spread over the licenses in every status (the issue's 1 M posts)."""
    tree = ctx.facts["percolate_scopes"]
    tenant, root = int(tree["tenant"]), int(tree["root"])
    licenses = _license_scopes(tree)
    first = await ctx.allocate_ids(1 + len(licenses) + 2)
    platform, channel_base = first, first + 1
    post_schema, meta_schema = first + 1 + len(licenses), first + 2 + len(licenses)
    await ctx.copy(
        "percolate_platforms",
        ("tenant_id", "id", "name", "type", "scope_id", "system", "created_at", "updated_at"),
        [[(tenant, platform, "Bench CMS", "custom", root, False, EPOCH, EPOCH)]],
        advance,
    )
    await ctx.copy(
        "percolate_channels",
        (
            "tenant_id",
            "id",
            "name",
            "type",
            "xid",
            "scope_id",
            "platform_id",
            "active",
            "term_ids",
            "created_at",
            "updated_at",
        ),
        [
            [
                (
                    tenant,
                    channel_base + i,
                    f"Channel {i}",
                    "custom",
                    "",
                    scope,
                    platform,
                    True,
                    "[]",
                    EPOCH,
                    EPOCH,
                )
                for i, scope in enumerate(licenses)
            ]
        ],
        advance,
    )
    schemas = [
        (
            tenant,
            post_schema,
            "Bench post",
            "bench-post",
            "post",
            "active",
            root,
            1,
            "[]",
            "{}",
            None,
            None,
            EPOCH,
            EPOCH,
        ),
        (
            tenant,
            meta_schema,
            "Bench facts",
            "bench-facts",
            "metadata",
            "active",
            root,
            1,
            '["post"]',
            "{}",
            None,
            None,
            EPOCH,
            EPOCH,
        ),
    ]
    await ctx.copy(
        "percolate_schemas",
        (
            "tenant_id",
            "id",
            "name",
            "slug",
            "type",
            "status",
            "scope_id",
            "version",
            "limit_resource_types",
            "ext",
            "platform_key",
            "channel_type",
            "created_at",
            "updated_at",
        ),
        [schemas],
        advance,
    )
    await ctx.copy(
        "percolate_schema_versions",
        ("tenant_id", "schema_id", "version", "name", "definition", "created_at", "updated_at"),
        [
            [
                (
                    tenant,
                    post_schema,
                    1,
                    "Bench post",
                    _checked_definition(POST_SCHEMA_DEFINITION),
                    EPOCH,
                    EPOCH,
                ),
                (
                    tenant,
                    meta_schema,
                    1,
                    "Bench facts",
                    _checked_definition(META_SCHEMA_DEFINITION),
                    EPOCH,
                    EPOCH,
                ),
            ]
        ],
        advance,
    )
    users = ctx.plan.rows // ctx.plan.tenants
    position = ctx.facts["tenants"]["ids"].index(tenant)
    user_base = int(ctx.facts["users"]["id_base"])
    base = await ctx.allocate_ids(ctx.posts)
    ladder = [
        (status, scheduled) for status, weight, scheduled in POST_STATUSES for _ in range(weight)
    ]
    step = SPAN_SECONDS / ctx.posts
    epoch = EPOCH.timestamp()
    hours = [timedelta(hours=h) for h in range(24 * 60)]

    def chunk(start: int) -> list[tuple[Any, ...]]:
        bits = ctx.rng("percolate_posts", start).getrandbits
        rows: list[tuple[Any, ...]] = []
        for k in range(start, min(start + CHUNK_ROWS, ctx.posts)):
            r = bits(48)
            license_index = k % len(licenses)
            status, scheduled = ladder[r % len(ladder)]
            created = datetime.fromtimestamp(epoch + k * step, UTC)
            topic = TOPIC_WORDS[(r >> 8) % len(TOPIC_WORDS)]
            name = f"{topic.capitalize()} post {k}"
            message = f"Our {topic} news, part {k % 97}: read more on the blog."
            author = user_base + ((r >> 16) % users) * ctx.plan.tenants + position
            rows.append(
                (
                    tenant,
                    base + k,
                    licenses[license_index],
                    author,
                    author if (r >> 40) & 1 else None,
                    name,
                    "",
                    status,
                    created + hours[(r >> 24) % len(hours)] if scheduled else None,
                    "",
                    platform,
                    channel_base + license_index,
                    post_schema,
                    1,
                    json.dumps({"message": message}),
                    "[]",
                    "[]",
                    False,
                    f"{name} {message}".lower(),
                    created,
                    created,
                )
            )
        return rows

    columns = (
        "tenant_id",
        "id",
        "scope_id",
        "user_id",
        "assignee_id",
        "name",
        "description",
        "status",
        "live_at",
        "xid",
        "platform_id",
        "channel_id",
        "schema_id",
        "schema_version",
        "ext",
        "term_ids",
        "origin_ids",
        "ingested",
        "search_text",
        "created_at",
        "updated_at",
    )
    await ctx.copy(
        "percolate_posts", columns, (chunk(s) for s in range(0, ctx.posts, CHUNK_ROWS)), advance
    )
    ctx.facts["percolate_posts"] = {
        "id_base": base,
        "count": ctx.posts,
        "license_probe": licenses[len(licenses) // 2],
        "post_schema": post_schema,
        "meta_schema": meta_schema,
    }


async def gen_percolate_metadata(ctx: GenContext, advance: Advance) -> None:
    """A metadata record (region, launch date) about every post, and its flattened values as
    the app indexes them (``metadata_index.flatten``) for the ``metadata.*`` filters."""
    from tenantry.percolate.metadata.index import flatten
    from tenantry.percolate.schema.definition import parse_definition

    posts = ctx.facts["percolate_posts"]
    tenant = int(ctx.facts["percolate_scopes"]["tenant"])
    licenses = _license_scopes(ctx.facts["percolate_scopes"])
    schema, post_base = int(posts["meta_schema"]), int(posts["id_base"])
    definition = parse_definition(META_SCHEMA_DEFINITION)
    base = await ctx.allocate_ids(ctx.posts)
    days = [EPOCH + timedelta(days=d) for d in range(6 * 365)]
    # Every (region, day) pair flattened once: the generator only picks from them.
    flat = {
        (region, day): flatten(definition, {"region": region, "launch": day.date().isoformat()})
        for region in META_REGIONS
        for day in days
    }
    value_rows: list[tuple[Any, ...]] = []

    def chunk(start: int) -> list[tuple[Any, ...]]:
        bits = ctx.rng("percolate_metadata", start).getrandbits
        rows: list[tuple[Any, ...]] = []
        for k in range(start, min(start + CHUNK_ROWS, ctx.posts)):
            r = bits(32)
            region, day = META_REGIONS[r % len(META_REGIONS)], days[(r >> 8) % len(days)]
            ext = {"region": region, "launch": day.date().isoformat()}
            post, record = post_base + k, base + k
            rows.append(
                (tenant, record, "post", post, licenses[k % len(licenses)], schema, 1,
                 json.dumps(ext), day, day)
            )  # fmt: skip
            for position, value in enumerate(flat[(region, day)]):
                value_rows.append(
                    (tenant, record, position, "post", post, schema, value.path, value.text,
                     value.time)
                )  # fmt: skip
        return rows

    await ctx.copy(
        "percolate_metadata",
        ("tenant_id", "id", "object_kind", "object_key", "scope_id", "schema_id",
         "schema_version", "ext", "created_at", "updated_at"),
        (chunk(s) for s in range(0, ctx.posts, CHUNK_ROWS)),
        advance,
    )  # fmt: skip

    def value_chunks() -> Iterable[list[tuple[Any, ...]]]:
        for start in range(0, len(value_rows), CHUNK_ROWS):
            yield value_rows[start : start + CHUNK_ROWS]

    await ctx.copy(
        "percolate_metadata_values",
        ("tenant_id", "metadata_id", "position", "object_kind", "object_key", "schema_id",
         "path", "value_text", "value_time"),
        value_chunks(),
        advance,
    )  # fmt: skip
    value_rows.clear()


STEPS: list[GeneratorStep] = [
    GeneratorStep("tenants", 1, gen_tenants, lambda p: p.tenants, ("tenants",)),
    GeneratorStep("roles", 1, gen_roles, lambda p: 2 * p.tenants, ("roles",)),
    GeneratorStep("users", 1, gen_users, lambda p: p.rows, ("users",)),
    GeneratorStep("user_roles", 1, gen_user_roles, lambda p: p.rows, ("user_roles",)),
    GeneratorStep(
        "percolate_scope_tree",
        1,
        gen_percolate_scope_tree,
        lambda p: (
            sum(SCOPE_BRANCHING**level for level in range(SCOPE_LEVELS)) * 6
            + p.rows // p.tenants * GRANTS_PER_USER
        ),
        ("scopes", "scope_links", "user_roles"),
        needs_tables=("scopes", "scope_links"),
    ),
    GeneratorStep(
        "perscom_ranks",
        1,
        gen_perscom_ranks,
        lambda p: len(RANKS) * p.tenants,
        ("perscom_ranks",),
        needs_tables=("perscom_ranks",),
    ),
    GeneratorStep(
        "perscom_user_profiles",
        1,
        gen_perscom_user_profiles,
        lambda p: p.rows,
        ("perscom_user_profiles",),
        needs_tables=("perscom_ranks", "perscom_user_profiles"),
    ),
    GeneratorStep(
        "perscom_records",
        1,
        gen_perscom_records,
        lambda p: RECORD_TENANTS * (len(AWARDS) + p.rows // p.tenants * 7 // 2),
        ("perscom_awards", "perscom_records_awards", "perscom_records_ranks"),
        needs_tables=("perscom_awards", "perscom_records_awards", "perscom_records_ranks"),
    ),
    GeneratorStep(
        "perscom_roster_newsfeed",
        1,
        gen_perscom_roster_newsfeed,
        lambda p: RECORD_TENANTS * (p.rows // p.tenants * 7 // 2),
        ("perscom_groups", "perscom_units", "perscom_group_units", "perscom_newsfeed"),
        needs_tables=("perscom_records_awards", "perscom_groups", "perscom_newsfeed"),
    ),
    GeneratorStep(
        "percolate_posts",
        1,
        gen_percolate_posts,
        lambda p: POSTS + 330,
        (
            "percolate_platforms",
            "percolate_channels",
            "percolate_schemas",
            "percolate_schema_versions",
            "percolate_posts",
        ),
        needs_tables=("scopes", "percolate_posts"),
    ),
    GeneratorStep(
        "percolate_metadata",
        1,
        gen_percolate_metadata,
        lambda p: 3 * POSTS,
        ("percolate_metadata", "percolate_metadata_values"),
        needs_tables=("percolate_posts", "percolate_metadata_values"),
    ),
]


# --------------------------------------------------------------------------------------------
# Building and reusing the database.


@dataclass
class BuildReport:
    dataset: Dataset
    seconds: dict[str, float] = field(default_factory=dict)
    """Phase -> seconds (create, migrate, each step, vacuum)."""
    postgres_version: str = ""


def _settings() -> Any:
    from tenantry.settings import load_settings

    return load_settings(**bench_settings_overrides())


async def _database_exists(admin: asyncpg.Connection) -> bool:
    found = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", DB_NAME)
    return bool(found)


async def _existing_fingerprint(plan: Plan) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The stored (fingerprint, facts) if the database holds a finished build of ``plan``."""
    conn = await asyncpg.connect(ASYNCPG_DSN)
    try:
        if not await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", META_TABLE):
            return None
        row = await conn.fetchrow(f"SELECT fingerprint, facts FROM {META_TABLE} WHERE id = 1")
        if row is None:
            return None
        # A finished build implies a migrated schema, so alembic_version is there.
        revision = await conn.fetchval("SELECT version_num FROM alembic_version LIMIT 1")
        users = await conn.fetchval("SELECT count(*) FROM users")
        fingerprint = json.loads(row["fingerprint"])
        if users != plan.rows or fingerprint.get("schema") != revision:
            return None
        return fingerprint, json.loads(row["facts"])
    finally:
        await conn.close()


async def _applicable_steps(conn: asyncpg.Connection) -> list[GeneratorStep]:
    steps = []
    for step in STEPS:
        present = [
            await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", table)
            for table in step.needs_tables
        ]
        if all(present):
            steps.append(step)
    return steps


def _fingerprint(plan: Plan, schema: str | None, steps: Sequence[GeneratorStep]) -> dict[str, Any]:
    return {
        "format": FORMAT_VERSION,
        "plan": plan.as_dict(),
        "schema": schema,
        "steps": [[step.name, step.version] for step in steps],
    }


async def _expected_fingerprint(plan: Plan) -> dict[str, Any]:
    """The fingerprint a fresh build would have now (the migrated schema's steps)."""
    from tenantry.core.migrate import head_revision

    conn = await asyncpg.connect(ASYNCPG_DSN)
    try:
        steps = await _applicable_steps(conn)
    finally:
        await conn.close()
    return _fingerprint(plan, head_revision(_settings()), steps)


async def _matches_after_upgrade(plan: Plan, stored: dict[str, Any], console: Console) -> bool:
    """Whether the stored build is the one a fresh build would make now.

    A build that differs only by an older schema revision is migrated in place first: new
    migrations add tables and columns that the generator steps do not fill, so the rows
    already there are exactly what a rebuild would write again (an hour of COPY saved).
    The generator steps are compared after the upgrade, so a migration that gives a step
    something to fill still forces a rebuild.
    """
    expected = await _expected_fingerprint(plan)
    if stored == expected:
        return True
    if {**stored, "schema": expected["schema"]} != {**expected, "steps": stored["steps"]}:
        return False
    console.print(f"[yellow]migrating {DB_NAME} in place[/] ({stored['schema']} -> head)")
    try:
        await _migrate()
    except Exception as exc:  # an unrelated history or a failing migration: rebuild instead
        console.print(f"[yellow]in-place migration failed ({exc}): rebuilding[/]")
        return False
    expected = await _expected_fingerprint(plan)
    if {**stored, "schema": expected["schema"]} != expected:
        return False
    conn = await asyncpg.connect(ASYNCPG_DSN)
    try:
        await conn.execute("ANALYZE")
        await conn.execute(
            f"UPDATE {META_TABLE} SET fingerprint = $1 WHERE id = 1", json.dumps(expected)
        )
    finally:
        await conn.close()
    return True


async def _migrate() -> str | None:
    from tenantry.core.db import create_engine
    from tenantry.core.migrate import current_revision, upgrade

    settings = _settings()
    engine = create_engine(settings, as_app_role=False)
    try:
        await upgrade(engine, settings)
        return await current_revision(engine)
    finally:
        await engine.dispose()


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description:<12}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
    )


async def _generate(plan: Plan, console: Console, report: BuildReport) -> dict[str, Any]:
    """Fill a freshly migrated database; returns the facts. Writes the fingerprint last."""
    from tenantry.core.migrate import head_revision

    conn = await asyncpg.connect(ASYNCPG_DSN)
    # ``replica`` skips triggers, so COPY does not run three foreign-key checks per row (the
    # generator's rows are consistent by construction); this alone halves the build time.
    # It needs a superuser, which the bench connects as.
    pool = await asyncpg.create_pool(
        ASYNCPG_DSN,
        min_size=COPY_CONNECTIONS,
        max_size=COPY_CONNECTIONS,
        server_settings={"session_replication_role": "replica"},
    )
    try:
        steps = await _applicable_steps(conn)
        ctx = PgGenContext(plan=plan, conn=conn, pool=pool)
        with _progress(console) as progress:
            tasks = {
                s.name: progress.add_task(s.name, total=s.estimate(plan), start=False)
                for s in steps
            }
            tables = [table for s in steps for table in s.tables]
            vacuum = progress.add_task("vacuum", total=len(tables), start=False)
            for step in steps:
                task = tasks[step.name]
                progress.start_task(task)
                started = time.perf_counter()
                await step.run(ctx, functools.partial(progress.advance, task))
                progress.update(task, completed=step.estimate(plan))
                report.seconds[f"generate {step.name}"] = time.perf_counter() - started
            progress.start_task(vacuum)
            started = time.perf_counter()
            for table in tables:
                # VACUUM, not only ANALYZE: it sets the visibility map, so count(*) and id pages
                # can be index-only scans from the first request (as on a long-lived database).
                await conn.execute(f"VACUUM (ANALYZE) {table}")
                progress.advance(vacuum, 1)
            await conn.execute("CHECKPOINT")
            report.seconds["vacuum analyze + checkpoint"] = time.perf_counter() - started
        fingerprint = _fingerprint(plan, head_revision(_settings()), steps)
        await conn.execute(
            f"CREATE TABLE IF NOT EXISTS {META_TABLE} (id int PRIMARY KEY, fingerprint jsonb "
            "NOT NULL, facts jsonb NOT NULL, built_at timestamptz NOT NULL DEFAULT now())"
        )
        await conn.execute(
            f"INSERT INTO {META_TABLE} (id, fingerprint, facts) VALUES (1, $1, $2) "
            "ON CONFLICT (id) DO UPDATE SET fingerprint = $1, facts = $2, built_at = now()",
            json.dumps(fingerprint),
            json.dumps(ctx.facts),
        )
        return ctx.facts
    finally:
        await pool.close()
        await conn.close()


async def prepare(
    plan: Plan, *, rebuild: bool = False, console: Console | None = None
) -> BuildReport:
    """Make ``tenantry_bench`` hold ``plan``'s data at the migration head; reuse when possible."""
    console = console or Console(stderr=True)
    return await _build_or_reuse(plan, rebuild, console)


async def _build_or_reuse(plan: Plan, rebuild: bool, console: Console) -> BuildReport:
    admin = await asyncpg.connect(ADMIN_DSN)
    try:
        version = str(await admin.fetchval("SHOW server_version"))
        exists = await _database_exists(admin)
        if exists and not rebuild:
            started = time.perf_counter()
            stored = await _existing_fingerprint(plan)
            if stored is not None and await _matches_after_upgrade(plan, stored[0], console):
                report = BuildReport(
                    Dataset(plan, stored[1], reused=True), postgres_version=version
                )
                report.seconds["check existing data set"] = time.perf_counter() - started
                console.print(f"[green]reusing database {DB_NAME}[/] ({plan.rows:,} users)")
                return report
            console.print(f"[yellow]database {DB_NAME} does not match the plan: rebuilding[/]")
        report = BuildReport(Dataset(plan, {}), postgres_version=version)
        started = time.perf_counter()
        await admin.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        await admin.execute(f"CREATE DATABASE {DB_NAME}")
        report.seconds["create database"] = time.perf_counter() - started
    finally:
        await admin.close()

    started = time.perf_counter()
    revision = await _migrate()
    report.seconds["migrate"] = time.perf_counter() - started
    console.print(
        f"building {plan.rows:,} users over {plan.tenants} tenants in {DB_NAME} (schema {revision})"
    )
    facts = await _generate(plan, console, report)
    report.dataset = Dataset(plan, facts)
    return report


def _check_sequence_name() -> None:
    from tenantry.core.ids import SEQUENCE_NAME

    if SEQUENCE_NAME != SEQUENCE:
        raise RuntimeError(f"the app's id sequence is {SEQUENCE_NAME!r}, bench uses {SEQUENCE!r}")


_check_sequence_name()
