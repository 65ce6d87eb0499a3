"""The export scenario: the bench tenant's 1 M posts (``gen_percolate_posts``) exported to CSV
by a real ``tenantry worker``, started with the server's environment.

Not a wrk scenario: it is one long job, so it reports rows per second (rows over the
export's own ``completed_at - started_at``) and the worker's resident memory growth (its
``VmRSS`` sampled every 0.1 s, peak minus the idle baseline, taken once the started worker's
memory and CPU time have settled): the CSV is streamed from a
server-side cursor into storage, so memory must stay flat whatever the row count.
Targets (issue): >= 100k rows/s, RSS growth < 50 MB.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from bench.common import VENV_BIN
from bench.scenarios import ProvisionContext, Unavailable
from bench.servers import ManagedProcess

NAME = "export"
FIELDS = "uid,created_at,status,posted_at,post_permalink,license_id,license_name,tags"
TARGET_ROWS_PER_SECOND = 100_000
TARGET_RSS_GROWTH_MB = 50.0
SAMPLE_SECONDS = 0.1
SETTLE_SECONDS = 2.0
SETTLE_MB = 1.0
SETTLE_CPU_SHARE = 0.1
SETTLE_TIMEOUT = 120.0
STATUS_SECONDS = 2.0


@dataclass(frozen=True)
class ExportResult:
    rows: int
    seconds: float
    size: int
    rss_baseline_mb: float
    rss_peak_mb: float
    worker_cpu_seconds: float
    """The worker's CPU time over the export: what the rate costs on a shared machine."""

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0

    @property
    def rows_per_cpu_second(self) -> float:
        return self.rows / self.worker_cpu_seconds if self.worker_cpu_seconds > 0 else 0.0

    @property
    def rss_growth_mb(self) -> float:
        return self.rss_peak_mb - self.rss_baseline_mb

    def markdown(self) -> str:
        rate_ok = self.rows_per_second >= TARGET_ROWS_PER_SECOND
        rss_ok = self.rss_growth_mb < TARGET_RSS_GROWTH_MB
        return "\n".join(
            [
                "",
                "## Export: 1 M posts to CSV (`bench/export.py`)",
                "",
                "| rows | seconds | rows/s | worker CPU s | rows/worker CPU s | CSV MB "
                "| worker RSS idle → peak MB | RSS growth MB |",
                "|---:|---:|---:|---:|---:|---:|---:|---:|",
                f"| {self.rows:,} | {self.seconds:.1f} | {self.rows_per_second:,.0f} "
                f"| {self.worker_cpu_seconds:.1f} | {self.rows_per_cpu_second:,.0f} "
                f"| {self.size / 1e6:.1f} | {self.rss_baseline_mb:.1f} → {self.rss_peak_mb:.1f} "
                f"| {self.rss_growth_mb:.1f} |",
                "",
                f"- target >= {TARGET_ROWS_PER_SECOND:,} rows/s: {'met' if rate_ok else 'MISSED'}",
                f"- target RSS growth < {TARGET_RSS_GROWTH_MB:.0f} MB: "
                f"{'met' if rss_ok else 'MISSED'}",
                "",
            ]
        )


def rss_mb(pid: int) -> float:
    """Resident set size of ``pid`` from ``/proc`` (Linux), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` from ``/proc`` (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def settled_rss_mb(pid: int) -> float:
    """The idle worker's resident memory: once it stops growing and the worker stops working
    (imports done). A fixed wait measured a half-started worker on a busy machine, so the
    export's growth included the rest of the imports."""
    deadline = time.monotonic() + SETTLE_TIMEOUT
    memory, cpu = rss_mb(pid), cpu_seconds(pid)
    while True:
        time.sleep(SETTLE_SECONDS)
        now_memory, now_cpu = rss_mb(pid), cpu_seconds(pid)
        idle = now_cpu - cpu < SETTLE_SECONDS * SETTLE_CPU_SHARE
        if (idle and abs(now_memory - memory) < SETTLE_MB) or time.monotonic() > deadline:
            return now_memory
        memory, cpu = now_memory, now_cpu


def measure_export(ctx: ProvisionContext, *, timeout: float = 1800.0) -> ExportResult:
    """Queue the export through ``tenantry export create``, run it in a fresh worker, watch."""
    posts = ctx.dataset.facts.get("percolate_posts")
    if not posts:
        raise Unavailable("the data set has no Percolate posts (gen_percolate_posts)")
    tenant = str(ctx.tenant_id)
    worker = ManagedProcess(
        "tenantry-export-worker", [str(VENV_BIN / "tenantry"), "worker"], ctx.env
    )
    try:
        baseline = settled_rss_mb(worker.pid)
        cpu_before = cpu_seconds(worker.pid)
        made = ctx.tenantry_cli(
            "export", "create", "--tenant", tenant, "--user", str(ctx.user_id),
            "--type", "post", "--fields", FIELDS, "--no-wait",
        )  # fmt: skip
        wire = str(made["id"])
        peak = baseline
        deadline = time.monotonic() + timeout
        next_status = 0.0
        while True:
            peak = max(peak, rss_mb(worker.pid))
            now = time.monotonic()
            if now >= next_status:
                shown = ctx.tenantry_cli("export", "status", wire, "--tenant", tenant)
                if shown["status"] == "complete":
                    cpu = cpu_seconds(worker.pid) - cpu_before
                    break
                if shown["status"] == "error":
                    raise Unavailable(f"the export failed: {shown['error']}")
                next_status = now + STATUS_SECONDS
            if now > deadline:
                raise Unavailable(f"the export did not finish within {timeout:.0f} s")
            time.sleep(SAMPLE_SECONDS)
    finally:
        worker.stop()
    seconds = float(shown["seconds"])
    return ExportResult(int(shown["rows_done"]), seconds, int(shown["size"]), baseline, peak, cpu)
