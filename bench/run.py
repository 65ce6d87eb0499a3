"""``python -m bench.run``: Tenantry against the floor, on loopback, with wrk (``make bench``).

Steps: install wrk if missing; build or reuse the PostgreSQL data set (``bench/data.py``); start
``tenantry serve`` and the floor app (``bench/floor.py``), one process each; for every scenario
(``bench/scenarios.py``) provision credentials, probe once, warm up, then run wrk against each
server in turn; write ``bench/RESULTS.md`` and append a line to ``bench/history.csv``.

A full run (no option changing what is measured) rewrites ``bench/RESULTS.md``; any other run
(``--quick``, a subset of scenarios, other sizes) writes ``bench/.work/RESULTS-<mode>.md`` so a
smoke test never replaces the recorded figures. ``--output`` overrides either.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

from rich.console import Console
from rich.table import Table

from bench import data, profile, report, wrk
from bench import embedded as bench_embedded
from bench import export as bench_export
from bench import media as bench_media
from bench import portability as bench_portability
from bench.common import (
    ASYNCPG_DSN,
    HISTORY_PATH,
    PROFILES_DIR,
    RESULTS_PATH,
    WORK_DIR,
    Stopwatch,
    bench_settings_overrides,
    describe_machine,
    free_port,
    git_commit,
    load_average,
    server_env,
)
from bench.report import FAILED, MEASURED, UNAVAILABLE, ScenarioResult, SideResult
from bench.scenarios import SERVER_ENV_EXTRA, ProvisionContext, Scenario, Unavailable, by_name
from bench.servers import ManagedProcess, ServerError, request, start_floor, start_tenantry

DEFAULTS = {"rows": 1_000_000, "tenants": 100, "duration": 10.0, "connections": 32, "runs": 3}
NOT_THERE = {401, 404, 405}


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run", description="Benchmark Tenantry against a bare floor app."
    )
    parser.add_argument("--quick", action="store_true", help="smoke: 1 run of 3 s per server")
    parser.add_argument(
        "--scenario", action="append", metavar="NAME", help="run only NAME (repeatable)"
    )
    parser.add_argument("--rows", type=int, default=DEFAULTS["rows"], help="users (1,000,000)")
    parser.add_argument("--tenants", type=int, default=DEFAULTS["tenants"], help="tenants (100)")
    parser.add_argument("--duration", type=float, default=None, help="seconds per wrk run (10)")
    parser.add_argument("--connections", type=int, default=DEFAULTS["connections"])
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (2)")
    parser.add_argument("--runs", type=int, default=None, help="runs per server (3; quick 1)")
    parser.add_argument("--warmup", type=float, default=None, help="warm-up seconds (2; quick 1)")
    parser.add_argument(
        "--profile",
        action="append",
        metavar="SCENARIO",
        default=[],
        help="also record a py-spy profile of the server during one extra run of SCENARIO",
    )
    parser.add_argument("--rebuild", action="store_true", help="rebuild the data set")
    parser.add_argument("--output", type=Path, help="where to write the results")
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    args = parser.parse_args(argv)
    args.duration = args.duration or (3.0 if args.quick else DEFAULTS["duration"])
    args.runs = args.runs or (1 if args.quick else DEFAULTS["runs"])
    args.warmup = args.warmup if args.warmup is not None else (1.0 if args.quick else 2.0)
    if args.rows < args.tenants or args.tenants < 1:
        parser.error("--rows must be at least --tenants, and --tenants at least 1")
    if args.runs < 1 or args.duration < 1 or args.connections < 1 or args.threads < 1:
        parser.error("--runs, --duration, --connections and --threads must be positive")
    if args.connections < args.threads:
        parser.error("wrk needs at least one connection per thread")
    return args


def mode_of(args: argparse.Namespace) -> str:
    if args.quick:
        return "quick"
    standard = (
        not args.scenario
        and args.rows == DEFAULTS["rows"]
        and args.tenants == DEFAULTS["tenants"]
        and args.duration == DEFAULTS["duration"]
        and args.connections == DEFAULTS["connections"]
        and args.runs == DEFAULTS["runs"]
        and args.threads == 2
    )
    return "full" if standard else "custom"


class Bench:
    """One run: the two servers, the wrk settings, and the results so far."""

    def __init__(
        self,
        args: argparse.Namespace,
        console: Console,
        wrk_path: str,
        py_spy: str | None,
        tenantry: tuple[ManagedProcess, int],
        floor: tuple[ManagedProcess, int],
    ) -> None:
        self.args = args
        self.console = console
        self.wrk = wrk_path
        self.py_spy = py_spy
        self.sides = {"Tenantry": tenantry, "floor": floor}
        self.stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        self.commit = "unknown"

    def _load(
        self, side: str, path: str, script: Path, seconds: float
    ) -> tuple[wrk.WrkResult, float]:
        process, port = self.sides[side]
        cpu_before, clock = process.cpu_seconds(), time.perf_counter()
        result = wrk.run(
            self.wrk,
            f"http://127.0.0.1:{port}{path}",
            script,
            threads=self.args.threads,
            connections=self.args.connections,
            duration=seconds,
            log=WORK_DIR / "logs" / "wrk.log",
        )
        elapsed = time.perf_counter() - clock
        cpu = 100 * (process.cpu_seconds() - cpu_before) / elapsed if elapsed else 0.0
        if not process.alive():
            raise ServerError(f"{side} died during the run:\n{process.log_tail()}")
        return result, cpu

    def measure(self, scenario: Scenario, ctx: ProvisionContext) -> ScenarioResult:
        name = scenario.name
        result = ScenarioResult(scenario, MEASURED)
        slots = ctx.slots(scenario.spread)
        paths = {
            "Tenantry": [scenario.render(scenario.path, ctx, slot) for slot in slots],
            "floor": [scenario.render(scenario.floor_path, ctx, slot) for slot in slots],
        }
        body = scenario.body_bytes(ctx)
        headers: dict[str, list[dict[str, str]]] = {
            "floor": [scenario.floor_headers(ctx, slot) for slot in slots]
        }
        try:
            headers["Tenantry"] = [scenario.credentials(ctx, slot) for slot in slots]
        except Unavailable as exc:
            result.status, result.reason = UNAVAILABLE, str(exc)

        # Every request of the spread is probed once: a tenant or credential that fails shows
        # up here, not as a non-2xx count in the middle of a run.
        for index in range(len(slots)):
            floor_answer = request(
                self.sides["floor"][1],
                scenario.method,
                paths["floor"][index],
                headers["floor"][index],
                body,
            )
            if floor_answer.status != 200:
                result.status = FAILED
                result.reason = (
                    f"floor answered {floor_answer.status} to {paths['floor'][index]}: "
                    f"{floor_answer.body[:200]!r}"
                )
                return result
        result.floor = SideResult(body_bytes=len(floor_answer.body))
        active = ["floor"]
        if result.status == MEASURED:
            for index in range(len(slots)):
                answer = request(
                    self.sides["Tenantry"][1],
                    scenario.method,
                    paths["Tenantry"][index],
                    headers["Tenantry"][index],
                    body,
                )
                if answer.status != 200:
                    break
            if answer.status in NOT_THERE and index == 0:
                result.status = UNAVAILABLE
                result.reason = (
                    f"Tenantry answered {answer.status} to `{scenario.method} "
                    f"{paths['Tenantry'][0]}`: {answer.body[:160].decode(errors='replace')}"
                )
            elif answer.status != 200:
                result.status = FAILED
                result.reason = (
                    f"Tenantry answered {answer.status} to {paths['Tenantry'][index]}: "
                    f"{answer.body[:300]!r}"
                )
                return result
            else:
                result.tenantry = SideResult(body_bytes=len(answer.body))
                active = ["Tenantry", "floor"]
        if result.status == UNAVAILABLE:
            self.console.print(f"  [yellow]{name}: {result.reason}[/] (measuring the floor only)")
        result.spread = (len({s.tenant_id for s in slots}), len(slots))

        scripts = {
            side: wrk.write_script(
                WORK_DIR / "wrk" / f"{name}-{side.lower()}.lua",
                scenario.method,
                list(zip(paths[side], headers[side], strict=True)),
                body,
            )
            for side in active
        }
        base = {side: paths[side][0] for side in active}
        if self.args.warmup > 0:
            for side in active:
                self._load(side, base[side], scripts[side], self.args.warmup)
        for number in range(self.args.runs):
            for side in active:
                outcome, cpu = self._load(side, base[side], scripts[side], self.args.duration)
                target = result.tenantry if side == "Tenantry" else result.floor
                assert target is not None
                target.runs.append(outcome)
                target.cpu_percent.append(cpu)
                flag = f" [red]{outcome.non_2xx} non-2xx[/]" if outcome.non_2xx else ""
                self.console.print(
                    f"  {name} run {number + 1}/{self.args.runs} {side:<8} "
                    f"{outcome.rps:9,.0f} req/s  p50 {outcome.p50_ms:6.2f} ms  "
                    f"p99 {outcome.p99_ms:6.2f} ms  cpu {cpu:4.0f}%{flag}"
                )
        if name in self.args.profile and "Tenantry" in active:
            result.profile = self.profile(scenario, base["Tenantry"], scripts["Tenantry"])
        return result

    def profile(self, scenario: Scenario, path: str, script: Path) -> dict[str, Path]:
        assert self.py_spy is not None
        process, _port = self.sides["Tenantry"]
        seconds = max(3, round(self.args.duration))
        recording = profile.start(
            self.py_spy, process.pid, seconds, PROFILES_DIR, WORK_DIR / "profiles", scenario.name
        )
        try:
            time.sleep(0.3)  # let py-spy attach before the load starts
            outcome, _cpu = self._load("Tenantry", path, script, seconds)
        finally:
            recording.wait(timeout=seconds + 60)
        title = (
            f"of `tenantry serve` under `{scenario.method} {path}`, {self.stamp}, "
            f"commit {self.commit}, {outcome.rps:,.0f} req/s while sampled"
        )
        profile.summarize(recording.raw, recording.top, title=title)
        self.console.print(
            f"  {scenario.name} profiled ({outcome.rps:,.0f} req/s under py-spy): "
            f"{recording.svg.name}, {recording.top.name}"
        )
        return {"flamegraph": recording.svg, "top": recording.top}


def _terminate(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def _print_summary(console: Console, results: list[report.ScenarioResult]) -> None:
    table = Table(title="Tenantry / floor")
    for column in ("scenario", "Tenantry req/s", "floor req/s", "ratio", "p99 T / F ms"):
        table.add_column(column, justify="left" if column == "scenario" else "right")
    for r in results:
        t, f = r.tenantry, r.floor
        table.add_row(
            r.scenario.name,
            f"{t.rps:,.0f}" if t and t.runs else r.status,
            f"{f.rps:,.0f}" if f and f.runs else "n/a",
            f"{r.ratio:.2f}x" if r.ratio is not None else "n/a",
            (f"{t.p99_ms:.1f}" if t and t.runs else "-")
            + " / "
            + (f"{f.p99_ms:.1f}" if f and f.runs else "-"),
        )
    console.print(table)
    for check in report.check_targets(results):
        verdict = {True: "[green]met[/]", False: "[red]not met[/]", None: "not judged"}[check.met]
        console.print(
            f"  target {check.scenario}: {check.requirement}: {check.figure} -> {verdict}"
        )


def _embedded(
    args: argparse.Namespace,
    console: Console,
    wrk_path: str,
    plan: data.Plan,
    results: list[ScenarioResult],
    watch: Stopwatch,
) -> bench_embedded.EmbeddedResult | None:
    """The embedded default (SQLite) after the PostgreSQL servers have stopped; its ratios are
    to PostgreSQL Tenantry's figures of the same scenarios in this run."""
    built = bench_embedded.prepare(plan, console, rebuild=args.rebuild)
    for name, seconds in built.seconds.items():
        watch.record(f"  {name}", seconds)
    postgres = {
        r.scenario.name: r.tenantry.rps
        for r in results
        if r.tenantry and r.tenantry.runs and r.tenantry.valid
    }
    load = bench_embedded.Load(
        wrk_path, args.threads, args.connections, args.duration, args.runs, args.warmup
    )
    try:
        return bench_embedded.measure(load, built, postgres, console)
    except (ServerError, wrk.WrkError) as exc:
        console.print(f"  [red]{bench_embedded.NAME} failed: {exc}[/]")
        return None


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    console = Console(soft_wrap=True)
    wanted = args.scenario or []
    with_export = not wanted or bench_export.NAME in wanted
    with_media = not wanted or bench_media.NAME in wanted
    with_portability = not wanted or bench_portability.NAME in wanted
    with_embedded = not wanted or bench_embedded.NAME in wanted
    extras = {bench_export.NAME, bench_media.NAME, bench_portability.NAME, bench_embedded.NAME}
    named = [name for name in wanted if name not in extras]
    scenarios = by_name(named) if named or not wanted else []
    if args.list:
        for s in scenarios:
            console.print(f"{s.name:<16} {s.method} {s.path}")
        return 0
    unknown = [p for p in args.profile if p not in {s.name for s in scenarios}]
    if unknown:
        console.print(f"[red]--profile names scenarios that will not run: {unknown}[/]")
        return 2
    signal.signal(signal.SIGTERM, _terminate)
    mode = mode_of(args)
    output = args.output or (RESULTS_PATH if mode == "full" else WORK_DIR / f"RESULTS-{mode}.md")
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    started = datetime.now(UTC)
    load_before = load_average()
    commit = git_commit()  # now: the tree may change while the run goes on
    watch = Stopwatch()

    with watch.timed("check/install wrk"):
        wrk_path = wrk.ensure_wrk(console)
    py_spy = None
    if args.profile:
        with watch.timed("check/install py-spy"):
            py_spy = profile.ensure_py_spy(console)

    plan = data.Plan(rows=args.rows, tenants=args.tenants)
    with watch.timed("data set (total)"):
        build = asyncio.run(data.prepare(plan, rebuild=args.rebuild, console=console))
    for name, seconds in build.seconds.items():
        watch.record(f"  {name}", seconds)

    from tenantry.core.migrate import head_revision
    from tenantry.settings import load_settings

    settings = load_settings(**bench_settings_overrides())
    env = server_env(SERVER_ENV_EXTRA)
    servers: list[ManagedProcess] = []
    results: list[ScenarioResult] = []
    rss: float | None = None
    exported: bench_export.ExportResult | None = None
    media: bench_media.MediaResult | None = None
    try:
        t_port = free_port()
        f_port = next(p for p in (free_port() for _ in range(20)) if p != t_port)
        tenantry = start_tenantry(t_port, env)
        servers.append(tenantry)
        floor = start_floor(
            f_port, ASYNCPG_DSN, settings.database_pool_size, head_revision(settings)
        )
        servers.append(floor)
        watch.record("start Tenantry (until /readyz)", tenantry.wait_ready(t_port, "/readyz"))
        watch.record("start floor (until /readyz)", floor.wait_ready(f_port, "/readyz"))
        console.print(
            f"Tenantry pid {tenantry.pid} on :{t_port}, floor pid {floor.pid} on :{f_port}; "
            f"wrk -t{args.threads} -c{args.connections} -d{args.duration:g}s x{args.runs}"
        )
        bench = Bench(args, console, wrk_path, py_spy, (tenantry, t_port), (floor, f_port))
        bench.commit = commit
        ctx = ProvisionContext(dataset=build.dataset, env=env)
        for scenario in scenarios:
            console.print(f"[bold]{scenario.name}[/]: {scenario.title}")
            with watch.timed(f"scenario {scenario.name}"):
                try:
                    results.append(bench.measure(scenario, ctx))
                except wrk.WrkError as exc:
                    results.append(ScenarioResult(scenario, FAILED, str(exc)))
            if results[-1].status == FAILED:
                console.print(f"  [red]{scenario.name} failed: {results[-1].reason}[/]")
        rss = servers[0].rss_mib()
        if with_export:
            console.print(f"[bold]{bench_export.NAME}[/]: 1 M posts to CSV by a tenantry worker")
            with watch.timed(f"scenario {bench_export.NAME}"):
                try:
                    exported = bench_export.measure_export(ctx)
                except Unavailable as exc:
                    console.print(f"  [yellow]{bench_export.NAME} not available: {exc}[/]")
        if with_media:
            console.print(f"[bold]{bench_media.NAME}[/]: uploads, variants, a 1 GB download")
            with watch.timed(f"scenario {bench_media.NAME}"):
                try:
                    media = bench_media.measure_media(env, t_port, tenantry)
                except bench_media.MediaUnavailable as exc:
                    console.print(f"  [yellow]{bench_media.NAME} not available: {exc}[/]")
    finally:
        for server in reversed(servers):
            server.stop()
    embedded: bench_embedded.EmbeddedResult | None = None
    if with_embedded:
        console.print(
            f"[bold]{bench_embedded.NAME}[/]: {', '.join(bench_embedded.SCENARIOS)} on SQLite"
        )
        with watch.timed(f"scenario {bench_embedded.NAME}"):
            embedded = _embedded(args, console, wrk_path, plan, results, watch)
    moved: str | None = None
    if with_portability:
        console.print(f"[bold]{bench_portability.NAME}[/]: tenant export and import")
        with watch.timed(f"scenario {bench_portability.NAME}"):
            moved = bench_portability.run_for_bench(2_000 if args.quick else None)

    info = report.RunInfo(
        started=started,
        mode=mode,
        plan=plan,
        dataset_reused=build.dataset.reused,
        machine=describe_machine(build.postgres_version, commit),
        duration=args.duration,
        connections=args.connections,
        threads=args.threads,
        runs=args.runs,
        warmup=args.warmup,
        pool_size=settings.database_pool_size,
        phases=watch.phases,
        logs=[s.log_path for s in servers],
        load_before=load_before,
        tenantry_rss_mib=rss,
    )
    report.write(info, results, output)
    if exported is not None:
        with output.open("a") as sink:
            sink.write(exported.markdown())
        console.print(
            f"export: {exported.rows_per_second:,.0f} rows/s, "
            f"worker RSS growth {exported.rss_growth_mb:.1f} MB"
        )
    if media is not None:
        with output.open("a") as sink:
            sink.write(media.markdown())
        console.print(
            f"media: {media.files_per_second:.1f} files/s, variants {media.variant_ratio:.2f}x"
            f" Pillow, download RSS growth {media.rss_growth_mb:.1f} MB"
        )
    if embedded is not None:
        with output.open("a") as sink:
            sink.write(embedded.markdown())
    if moved is not None:
        with output.open("a") as sink:
            sink.write("\n" + moved)
        console.print(moved)
    if output.resolve() == RESULTS_PATH.resolve():
        report.append_history(HISTORY_PATH, info, results, embedded.history() if embedded else [])
    _print_summary(console, results)
    if rss is not None:
        console.print(f"tenantry serve resident memory after the last scenario: {rss:.0f} MiB")
    console.print(f"results written to {output}")
    return 1 if any(r.status == FAILED for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
