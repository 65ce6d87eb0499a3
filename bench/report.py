"""Results: what one bench run measured, rendered as ``bench/RESULTS.md`` + a history line."""

from __future__ import annotations

import csv
import os
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench.common import ROOT, Machine
from bench.data import Plan
from bench.scenarios import Scenario
from bench.wrk import WrkResult

MEASURED, UNAVAILABLE, FAILED = "measured", "not available yet", "error"


@dataclass
class SideResult:
    """One server's runs of one scenario (medians are per metric)."""

    runs: list[WrkResult] = field(default_factory=list)
    cpu_percent: list[float] = field(default_factory=list)
    body_bytes: int = 0

    @property
    def rps(self) -> float:
        return statistics.median(r.rps for r in self.runs)

    @property
    def p50_ms(self) -> float:
        return statistics.median(r.p50_ms for r in self.runs)

    @property
    def p99_ms(self) -> float:
        return statistics.median(r.p99_ms for r in self.runs)

    @property
    def cpu(self) -> float:
        return statistics.median(self.cpu_percent) if self.cpu_percent else 0.0

    @property
    def non_2xx(self) -> int:
        return sum(r.non_2xx for r in self.runs)

    @property
    def socket_errors(self) -> int:
        return sum(r.socket_errors for r in self.runs)

    @property
    def valid(self) -> bool:
        return bool(self.runs) and self.non_2xx == 0


@dataclass
class ScenarioResult:
    scenario: Scenario
    status: str
    reason: str = ""
    tenantry: SideResult | None = None
    floor: SideResult | None = None
    profile: dict[str, Path] = field(default_factory=dict)
    spread: tuple[int, int] = (1, 1)
    """(tenants, credentials) the load was spread over."""

    @property
    def ratio(self) -> float | None:
        if self.tenantry and self.floor and self.tenantry.runs and self.floor.runs:
            return self.tenantry.rps / self.floor.rps if self.floor.rps else None
        return None

    @property
    def p99_ratio(self) -> float | None:
        if self.tenantry and self.floor and self.tenantry.runs and self.floor.runs:
            return self.tenantry.p99_ms / self.floor.p99_ms if self.floor.p99_ms else None
        return None


@dataclass
class TargetCheck:
    scenario: str
    requirement: str
    figure: str
    met: bool | None  # None: cannot be judged (not available, invalid run)


@dataclass
class RunInfo:
    started: datetime
    mode: str
    plan: Plan
    dataset_reused: bool
    machine: Machine
    duration: float
    connections: int
    threads: int
    runs: int
    warmup: float
    pool_size: int
    phases: list[tuple[str, float]]
    logs: list[Path]
    load_before: str
    tenantry_rss_mib: float | None = None
    """Resident memory of ``tenantry serve`` after the last scenario (the issue's 300 MB)."""


def check_targets(results: list[ScenarioResult]) -> list[TargetCheck]:
    by_name = {r.scenario.name: r for r in results}
    checks = []
    for result in results:
        target = result.scenario.target
        if target is None:
            continue
        name = result.scenario.name
        requirement = target.describe()
        if result.status != MEASURED or not (result.tenantry and result.tenantry.valid):
            checks.append(TargetCheck(name, requirement, result.status, None))
            continue
        if target.against:
            other = by_name.get(target.against)
            if not (other and other.status == MEASURED and other.tenantry and other.tenantry.valid):
                checks.append(
                    TargetCheck(name, requirement, f"`{target.against}` not measured", None)
                )
                continue
            ratio: float | None = result.tenantry.rps / other.tenantry.rps
        else:
            ratio = result.ratio
        if ratio is None:
            checks.append(TargetCheck(name, requirement, "no floor figure", None))
            continue
        met = ratio >= target.min_ratio
        figure = f"{ratio:.2f}x"
        if target.max_p99_ratio is not None and result.p99_ratio is not None:
            figure += f", p99 {result.p99_ratio:.2f}x"
            met = met and result.p99_ratio <= target.max_p99_ratio
        checks.append(TargetCheck(name, requirement, figure, met))
    return checks


def _num(value: float, digits: int = 0) -> str:
    return f"{value:,.{digits}f}"


def _side_row(label: str, side: SideResult | None) -> str:
    if side is None or not side.runs:
        return f"| {label} | n/a | n/a | n/a | n/a | n/a | n/a |"
    flag = "" if side.valid else " (invalid)"
    return (
        f"| {label} | {_num(side.rps)}{flag} | {side.p50_ms:.2f} | {side.p99_ms:.2f} | "
        f"{side.cpu:.0f}% | {_num(side.body_bytes)} | {side.non_2xx} |"
    )


def _met(value: bool | None) -> str:
    return {True: "met", False: "**not met**", None: "not judged"}[value]


def _rel(path: Path, base: Path) -> str:
    return os.path.relpath(path, base)


def render(info: RunInfo, results: list[ScenarioResult], output: Path) -> str:
    checks = check_targets(results)
    m = info.machine
    lines = [
        "# Benchmark results",
        "",
        f"Generated by `python -m bench.run` (`make bench`) on "
        f"{info.started.strftime('%Y-%m-%d %H:%M UTC')}, mode **{info.mode}**. "
        "This file is rewritten by every full run; `bench/history.csv` keeps one line per run.",
        "",
        "## Setup",
        "",
        f"- Machine: {m.cpus} CPUs ({m.cpu_model}), {m.memory_gib} GiB RAM, Linux {m.kernel}, "
        f"Python {m.python}. Load average {info.load_before} before the run, "
        f"{m.load_average} after it (anything else running on the machine is noise here).",
        f"- PostgreSQL {m.postgres} on 127.0.0.1:5432, database `tenantry_bench`.",
        f"- Data set: {info.plan.rows:,} users over {info.plan.tenants} tenants "
        f"({info.plan.rows // max(info.plan.tenants, 1):,} per tenant, interleaved on disk), "
        "each with a role grant and a PERSCOM profile holding one of its tenant's 20 ranks "
        "(when the schema has PERSCOM's tables); "
        + ("reused from an earlier run." if info.dataset_reused else "built in this run."),
        f"- Tenantry at commit `{m.commit}`: one `tenantry serve` process (uvicorn, uvloop, "
        f"httptools), SQLAlchemy pool {info.pool_size} and a read pool of as many for the "
        "read-only fast path (no overflow), connected "
        "as the app role so row-level security applies."
        + (
            f" Resident memory after the last scenario: {info.tenantry_rss_mib:.0f} MiB."
            if info.tenantry_rss_mib is not None
            else ""
        ),
        f"- Floor: `bench/floor.py`, one uvicorn process (uvloop, httptools), bare Starlette + "
        f"asyncpg pool of {info.pool_size} + orjson, same SQL shape, no auth beyond reading the "
        "tenant, no RLS.",
        f"- Load: {m.wrk}, `-t{info.threads} -c{info.connections} -d{info.duration:g}s --latency` "
        f"on loopback; {info.runs} run(s) per server, Tenantry and floor alternating, after a "
        f"{info.warmup:g}s warm-up of each; figures are medians per metric. wrk, both servers "
        "and PostgreSQL share the machine's cores. CPU % is the server process's CPU time "
        "during the runs (100% = one core).",
        "",
        "## Summary",
        "",
        "| scenario | Tenantry req/s | floor req/s | ratio | Tenantry p99 ms | floor p99 ms |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        t, f = r.tenantry, r.floor
        t_rps = _num(t.rps) if t and t.runs else r.status
        f_rps = _num(f.rps) if f and f.runs else "n/a"
        ratio = f"{r.ratio:.2f}x" if r.ratio is not None else "n/a"
        t_p99 = f"{t.p99_ms:.2f}" if t and t.runs else "n/a"
        f_p99 = f"{f.p99_ms:.2f}" if f and f.runs else "n/a"
        lines.append(f"| `{r.scenario.name}` | {t_rps} | {f_rps} | {ratio} | {t_p99} | {f_p99} |")
    lines += [
        "",
        "## Targets (DESIGN.md §10, issue 4)",
        "",
        "| scenario | requirement | measured | verdict |",
        "|---|---|---|---|",
    ]
    for c in checks:
        lines.append(f"| `{c.scenario}` | {c.requirement} | {c.figure} | {_met(c.met)} |")
    if not checks:
        lines.append("| (no scenario with a target ran) | | | |")
    lines += ["", "## Scenarios", ""]
    for r in results:
        s = r.scenario
        lines += [f"### `{s.name}`: {s.title}", ""]
        lines.append(f"`{s.method} {s.path}` (floor: `{s.method} {s.floor_path}`)")
        lines.append("")
        tenants, credentials = r.spread
        if credentials > 1:
            lines.append(
                f"Load spread over {tenants} tenant(s) and {credentials} credentials"
                " (the wrk script cycles through them, the floor gets the same spread)."
            )
            lines.append("")
        if r.status != MEASURED:
            lines.append(f"Tenantry: **{r.status}**: {r.reason}")
            lines.append("")
        if r.tenantry or r.floor:
            lines += [
                "| server | req/s | p50 ms | p99 ms | CPU | response bytes | non-2xx |",
                "|---|---:|---:|---:|---:|---:|---:|",
                _side_row("Tenantry", r.tenantry),
                _side_row("floor", r.floor),
            ]
            if r.ratio is not None:
                p99 = f"{r.p99_ratio:.2f}x" if r.p99_ratio is not None else "n/a"
                lines.append(f"| **Tenantry / floor** | **{r.ratio:.2f}x** | | {p99} | | | |")
            lines.append("")
            for label, side in (("Tenantry", r.tenantry), ("floor", r.floor)):
                if side and side.runs:
                    each = ", ".join(_num(run.rps) for run in side.runs)
                    lines.append(f"- {label} runs (req/s): {each}")
                    if side.socket_errors:
                        lines.append(f"- {label} socket errors: {side.socket_errors}")
            lines.append("")
        if r.profile:
            links = ", ".join(
                f"[{kind}]({_rel(path, output.parent)})" for kind, path in r.profile.items()
            )
            lines += [f"Profile of the Tenantry server under this load: {links}", ""]
    lines += ["## Phases", "", "| phase | seconds |", "|---|---:|"]
    lines += [f"| {name} | {seconds:.1f} |" for name, seconds in info.phases]
    lines += [
        "",
        "## Reproduce",
        "",
        "```",
        "make bench                                   # full run: rewrites this file",
        ".venv/bin/python -m bench.run --quick --rows 50000   # smoke (writes bench/.work/)",
        ".venv/bin/python -m bench.run --scenario readyz --profile readyz",
        "```",
        "",
        "Server logs of the last run: " + ", ".join(f"`{_rel(p, ROOT)}`" for p in info.logs) + ".",
        "",
    ]
    return "\n".join(lines)


def write(info: RunInfo, results: list[ScenarioResult], output: Path) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render(info, results, output))


HISTORY_FIELDS = [
    "date",
    "commit",
    "mode",
    "rows",
    "tenants",
    "duration_s",
    "connections",
    "runs",
    "ratios",
    "targets",
]


def append_history(
    path: Path,
    info: RunInfo,
    results: list[ScenarioResult],
    extra: Sequence[tuple[str, float | None, bool | None]] = (),
) -> None:
    """One line per run: ``scenario=ratio`` pairs and ``scenario=met|missed|n/a`` verdicts;
    ``extra`` adds ``(name, ratio, met)`` figures measured outside the wrk table."""
    ratios = ";".join(
        [
            f"{r.scenario.name}={r.ratio:.3f}" if r.ratio is not None else f"{r.scenario.name}=n/a"
            for r in results
        ]
        + [f"{name}=n/a" if value is None else f"{name}={value:.3f}" for name, value, _ in extra]
    )
    short = {True: "met", False: "missed", None: "n/a"}
    verdicts = ";".join(
        [f"{c.scenario}={short[c.met]}" for c in check_targets(results)]
        + [f"{name}={short[met]}" for name, _, met in extra]
    )
    new = not path.exists()
    with path.open("a", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=HISTORY_FIELDS)
        if new:
            writer.writeheader()
        writer.writerow(
            {
                "date": info.started.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "commit": info.machine.commit,
                "mode": info.mode,
                "rows": info.plan.rows,
                "tenants": info.plan.tenants,
                "duration_s": f"{info.duration:g}",
                "connections": info.connections,
                "runs": info.runs,
                "ratios": ratios,
                "targets": verdicts,
            }
        )
