"""The embedded default: ``users-list`` and ``posts-list`` served from SQLite.

Tenantry with no database URL keeps its data in ``<data dir>/tenantry.db``. This builds that
file with the PostgreSQL data set's own generator steps (``bench/data.py``), scaled to
``EMBEDDED_ROWS`` users and the posts in the same proportion, starts ``tenantry serve`` on it
(``TENANTRY_DATABASE_URL`` empty, ``TENANTRY_DATA_DIR=bench/.work/embedded``), and loads it
with wrk exactly as the PostgreSQL scenarios are loaded (same spread of tenants and
credentials). The figure that matters is the ratio to PostgreSQL Tenantry's req/s for the same
scenario in the same run (target >= 0.50x).

Build: the app's migrations, then the steps the two scenarios read, in one transaction with
``executemany`` (ids from the app's ``id_counter`` row, as ``tenantry.core.ids`` allocates
them), then ``ANALYZE`` (what the app's own bulk writes queue) and a WAL checkpoint. A table
``bench_dataset`` in the file keeps the fingerprint; a matching file is reused.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
import statistics
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from bench import wrk
from bench.common import WORK_DIR, free_port, server_env
from bench.data import (
    META_TABLE,
    POSTS,
    STEPS,
    Advance,
    Dataset,
    GenContext,
    GeneratorStep,
    Plan,
)
from bench.report import MEASURED, SideResult
from bench.scenarios import SERVER_ENV_EXTRA, ProvisionContext, Scenario, Unavailable, by_name
from bench.servers import ManagedProcess, ServerError, request, start_tenantry

NAME = "embedded"
EMBEDDED_ROWS = 100_000
FULL_ROWS = 1_000_000
"""Users of the full PostgreSQL data set, which holds ``POSTS`` posts: SQLite keeps the ratio."""
SCENARIOS = ("users-list", "posts-list")
TARGET_RATIO = 0.50
FORMAT_VERSION = 1
DATA_DIR = WORK_DIR / "embedded"
DB_FILE = "tenantry.db"
"""Where Tenantry keeps its database in the data dir when no URL is set (``Settings``)."""
STEP_NAMES = (
    "tenants",
    "roles",
    "users",
    "user_roles",
    "percolate_scope_tree",
    "perscom_ranks",
    "perscom_user_profiles",
    "percolate_posts",
)
"""The steps whose rows the two scenarios read (records, newsfeed and metadata are left out)."""


def embedded_plan(plan: Plan) -> tuple[Plan, int]:
    """The SQLite plan (at most ``EMBEDDED_ROWS`` users, same tenants and seed) and its posts."""
    rows = min(EMBEDDED_ROWS, plan.rows)
    return Plan(rows=rows, tenants=plan.tenants, seed=plan.seed), POSTS * rows // FULL_ROWS


def _sqlite_value(value: Any) -> Any:
    """What SQLAlchemy's SQLite ``DateTime`` stores: naive UTC text with microseconds (the
    app's ``UTCDateTime``), so ordering and comparison by text match the app's own rows."""
    if isinstance(value, datetime):
        d = value.astimezone(UTC)
        return f"{d:%Y-%m-%d %H:%M:%S}.{d.microsecond:06d}"
    return value


@dataclass(kw_only=True)
class SqliteGenContext(GenContext):
    """SQLite: ids from the app's counter row, rows by ``executemany`` in the open transaction."""

    db: sqlite3.Connection

    async def allocate_ids(self, count: int) -> int:
        row = self.db.execute(
            "UPDATE id_counter SET value = value + ? WHERE name = 'global' RETURNING value",
            (count,),
        ).fetchone()
        return int(row[0]) - count + 1

    async def copy(
        self,
        table: str,
        columns: Sequence[str],
        chunks: Iterable[list[tuple[Any, ...]]],
        advance: Advance,
    ) -> int:
        names = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join("?" for _ in columns)
        statement = f'INSERT INTO "{table}" ({names}) VALUES ({marks})'
        copied = 0
        for rows in chunks:
            self.db.executemany(statement, [tuple(map(_sqlite_value, row)) for row in rows])
            advance(len(rows))
            copied += len(rows)
        return copied


@dataclass
class EmbeddedBuild:
    dataset: Dataset
    posts: int
    seconds: dict[str, float] = field(default_factory=dict)


def _settings(directory: Path) -> Any:
    from tenantry.settings import load_settings

    return load_settings(
        database_url="", data_dir=directory, embedded_worker=False, demo_on_first_start=False
    )


def _steps() -> list[GeneratorStep]:
    return [step for step in STEPS if step.name in STEP_NAMES]


def _fingerprint(plan: Plan, posts: int, schema: str | None) -> dict[str, Any]:
    return {
        "format": FORMAT_VERSION,
        "plan": plan.as_dict(),
        "posts": posts,
        "schema": schema,
        "steps": [[step.name, step.version] for step in _steps()],
    }


def _stored(path: Path, expected: dict[str, Any]) -> dict[str, Any] | None:
    """The facts of the file at ``path`` if it is a finished build matching ``expected``."""
    if not path.exists():
        return None
    db = sqlite3.connect(path)
    try:
        found = db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (META_TABLE,)
        ).fetchone()
        if not found:
            return None
        row = db.execute(f"SELECT fingerprint, facts FROM {META_TABLE} WHERE id = 1").fetchone()
        revision = db.execute("SELECT version_num FROM alembic_version").fetchone()
        users = db.execute("SELECT count(*) FROM users").fetchone()[0]
    except sqlite3.Error:
        return None
    finally:
        db.close()
    if row is None or json.loads(row[0]) != expected:
        return None
    if revision is None or revision[0] != expected["schema"] or users != expected["plan"]["rows"]:
        return None
    facts: dict[str, Any] = json.loads(row[1])
    return facts


async def _migrate(directory: Path) -> None:
    from tenantry.core.db import create_engine
    from tenantry.core.migrate import upgrade

    settings = _settings(directory)
    engine = create_engine(settings, as_app_role=False)
    try:
        await upgrade(engine, settings)
    finally:
        await engine.dispose()


def prepare(
    plan: Plan, console: Console, *, rebuild: bool = False, directory: Path = DATA_DIR
) -> EmbeddedBuild:
    """Make ``<directory>/tenantry.db`` (the data dir's default database) hold the scaled
    data set; reuse it when its fingerprint matches."""
    from tenantry.core.migrate import head_revision

    small, posts = embedded_plan(plan)
    path = directory / DB_FILE
    expected = _fingerprint(small, posts, head_revision(_settings(directory)))
    started = time.perf_counter()
    facts = None if rebuild else _stored(path, expected)
    if facts is not None:
        console.print(f"[green]reusing {path}[/] ({small.rows:,} users, {posts:,} posts)")
        build = EmbeddedBuild(Dataset(small, facts, reused=True), posts)
        build.seconds["check existing SQLite data set"] = time.perf_counter() - started
        return build
    # A fresh data dir: the file, its WAL and the server's keys of an older build go together.
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    build = EmbeddedBuild(Dataset(small, {}), posts)
    started = time.perf_counter()
    asyncio.run(_migrate(directory))
    build.seconds["SQLite migrate"] = time.perf_counter() - started
    console.print(f"building {small.rows:,} users and {posts:,} posts in {path}")
    db = sqlite3.connect(path, isolation_level=None)
    try:
        # The generator's rows are consistent by construction: no per-row foreign-key checks,
        # and no fsync until the file is complete (a crash mid-build means a rebuild anyway).
        db.execute("PRAGMA foreign_keys=OFF")
        db.execute("PRAGMA synchronous=OFF")
        db.execute("PRAGMA cache_size=-262144")
        db.execute("BEGIN")
        ctx = SqliteGenContext(plan=small, posts=posts, db=db)
        for step in _steps():
            step_started = time.perf_counter()
            asyncio.run(step.run(ctx, lambda _rows: None))
            build.seconds[f"SQLite generate {step.name}"] = time.perf_counter() - step_started
        db.execute("COMMIT")
        step_started = time.perf_counter()
        db.execute("ANALYZE")
        db.execute(
            f"CREATE TABLE {META_TABLE} (id INTEGER PRIMARY KEY, fingerprint TEXT NOT NULL, "
            "facts TEXT NOT NULL)"
        )
        db.execute(
            f"INSERT INTO {META_TABLE} (id, fingerprint, facts) VALUES (1, ?, ?)",
            (json.dumps(expected), json.dumps(ctx.facts)),
        )
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        build.seconds["SQLite analyze + checkpoint"] = time.perf_counter() - step_started
    finally:
        db.close()
    build.dataset = Dataset(small, ctx.facts)
    return build


def embedded_env(directory: Path = DATA_DIR) -> dict[str, str]:
    """``tenantry serve`` with its defaults: no database URL, so SQLite in the data dir."""
    return server_env(
        {**SERVER_ENV_EXTRA, "TENANTRY_DATABASE_URL": "", "TENANTRY_DATA_DIR": str(directory)}
    )


@dataclass
class EmbeddedScenario:
    scenario: Scenario
    status: str = MEASURED
    reason: str = ""
    side: SideResult | None = None
    postgres_rps: float | None = None
    """PostgreSQL Tenantry's req/s for the same scenario in the same run."""
    spread: tuple[int, int] = (1, 1)

    @property
    def ratio(self) -> float | None:
        if self.side and self.side.runs and self.postgres_rps:
            return self.side.rps / self.postgres_rps
        return None

    @property
    def met(self) -> bool | None:
        """The target verdict; None when it cannot be judged (no run, an invalid run)."""
        ratio = self.ratio
        if ratio is None or self.side is None or not self.side.valid:
            return None
        return ratio >= TARGET_RATIO


@dataclass
class EmbeddedResult:
    build: EmbeddedBuild
    scenarios: list[EmbeddedScenario]
    rss_mib: float | None = None

    def history(self) -> list[tuple[str, float | None, bool | None]]:
        """``(embedded-<scenario>, ratio, met)`` for ``bench/history.csv``."""
        return [(f"{NAME}-{i.scenario.name}", i.ratio, i.met) for i in self.scenarios]

    def markdown(self) -> str:
        plan = self.build.dataset.plan
        lines = [
            "",
            "## Embedded (SQLite)",
            "",
            f"`tenantry serve` with no database URL (the default: SQLite, WAL, in "
            f"`bench/.work/embedded/tenantry.db`), one process, on {plan.rows:,} users over "
            f"{plan.tenants} tenants and {self.build.posts:,} posts (the PostgreSQL data set "
            f"scaled to {EMBEDDED_ROWS:,} users; "
            + ("reused" if self.build.dataset.reused else "built in this run")
            + "). Same wrk settings and spread; ratio = SQLite req/s over PostgreSQL "
            f"Tenantry's req/s for the same scenario in this run (target >= {TARGET_RATIO:.2f}x)."
            + (
                f" Resident memory after the last scenario: {self.rss_mib:.0f} MiB."
                if self.rss_mib is not None
                else ""
            ),
            "",
            "| scenario | req/s | p50 ms | p99 ms | CPU | response bytes | non-2xx "
            "| PostgreSQL req/s | ratio | verdict |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        ]
        for item in self.scenarios:
            side = item.side
            name = f"`{item.scenario.name}`"
            if side is None or not side.runs:
                lines.append(f"| {name} | {item.status}: {item.reason} | | | | | | | | |")
                continue
            ratio = item.ratio
            verdict = {True: "met", False: "**not met**", None: "not judged"}[item.met]
            flag = "" if side.valid else " (invalid)"
            pg = f"{item.postgres_rps:,.0f}" if item.postgres_rps else "n/a"
            lines.append(
                f"| {name} | {side.rps:,.0f}{flag} | {side.p50_ms:.2f} | {side.p99_ms:.2f} "
                f"| {side.cpu:.0f}% | {side.body_bytes:,} | {side.non_2xx} | {pg} "
                f"| {f'{ratio:.2f}x' if ratio is not None else 'n/a'} | {verdict} |"
            )
        lines.append("")
        for item in self.scenarios:
            if item.side and item.side.runs:
                each = ", ".join(f"{run.rps:,.0f}" for run in item.side.runs)
                tenants, credentials = item.spread
                lines.append(
                    f"- `{item.scenario.name}` runs (req/s): {each}; spread over {tenants} "
                    f"tenant(s) and {credentials} credentials"
                )
        phases = ", ".join(f"{name} {sec:.1f} s" for name, sec in self.build.seconds.items())
        lines += [f"- Data set: {phases}.", ""]
        return "\n".join(lines)


@dataclass
class Load:
    """How wrk loads the server (the run's own settings)."""

    wrk: str
    threads: int
    connections: int
    duration: float
    runs: int
    warmup: float


def _measure(
    load: Load, server: ManagedProcess, port: int, scenario: Scenario, ctx: ProvisionContext
) -> EmbeddedScenario:
    item = EmbeddedScenario(scenario)
    slots = ctx.slots(scenario.spread)
    paths = [scenario.render(scenario.path, ctx, slot) for slot in slots]
    body = scenario.body_bytes(ctx)
    try:
        headers = [scenario.credentials(ctx, slot) for slot in slots]
    except Unavailable as exc:
        item.status, item.reason = "not available yet", str(exc)
        return item
    for path, sent in zip(paths, headers, strict=True):
        answer = request(port, scenario.method, path, sent, body)
        if answer.status != 200:
            item.status = "error"
            item.reason = f"answered {answer.status} to {path}: {answer.body[:200]!r}"
            return item
    item.side = SideResult(body_bytes=len(answer.body))
    item.spread = (len({s.tenant_id for s in slots}), len(slots))
    script = wrk.write_script(
        WORK_DIR / "wrk" / f"{scenario.name}-sqlite.lua",
        scenario.method,
        list(zip(paths, headers, strict=True)),
        body,
    )
    url = f"http://127.0.0.1:{port}{paths[0]}"

    def run(seconds: float) -> wrk.WrkResult:
        return wrk.run(
            load.wrk,
            url,
            script,
            threads=load.threads,
            connections=load.connections,
            duration=seconds,
            log=WORK_DIR / "logs" / "wrk.log",
        )

    if load.warmup > 0:
        run(load.warmup)
    for _ in range(load.runs):
        cpu_before, clock = server.cpu_seconds(), time.perf_counter()
        outcome = run(load.duration)
        elapsed = time.perf_counter() - clock
        if not server.alive():
            raise ServerError(f"tenantry (SQLite) died during the run:\n{server.log_tail()}")
        item.side.runs.append(outcome)
        item.side.cpu_percent.append(100 * (server.cpu_seconds() - cpu_before) / elapsed)
    return item


def measure(
    load: Load, build: EmbeddedBuild, postgres_rps: dict[str, float], console: Console
) -> EmbeddedResult:
    """Serve the SQLite file and load ``SCENARIOS`` against it; the PostgreSQL servers are
    stopped by then, so the two engines never share the cores during a run."""
    env = embedded_env()
    port = free_port()
    server = start_tenantry(port, env, name="tenantry-sqlite")
    result = EmbeddedResult(build, [])
    try:
        server.wait_ready(port, "/readyz")
        console.print(f"Tenantry (SQLite) pid {server.pid} on :{port}")
        ctx = ProvisionContext(dataset=build.dataset, env=env)
        for scenario in by_name(list(SCENARIOS)):
            item = _measure(load, server, port, scenario, ctx)
            item.postgres_rps = postgres_rps.get(scenario.name)
            result.scenarios.append(item)
            if item.side and item.side.runs:
                ratio = f"{item.ratio:.2f}x" if item.ratio is not None else "n/a"
                console.print(
                    f"  {scenario.name} SQLite {item.side.rps:9,.0f} req/s "
                    f"(runs {', '.join(f'{r.rps:,.0f}' for r in item.side.runs)}) "
                    f"p99 {statistics.median(r.p99_ms for r in item.side.runs):.2f} ms "
                    f"cpu {item.side.cpu:.0f}%  / PostgreSQL: {ratio}"
                )
            else:
                console.print(f"  [yellow]{scenario.name} (SQLite): {item.reason}[/]")
        result.rss_mib = server.rss_mib()
    finally:
        server.stop()
    return result
