"""py-spy profiles of the server process while wrk drives it.

Two samplers attach to the one server process for the same window (``--nonblocking``, so the
server is never paused): one writes a flamegraph SVG, the other collapsed stacks, which
``summarize`` turns into the "top" tables (self and inclusive samples per function).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from bench.common import VENV_BIN

PY_SPY_VERSION = "0.4.3"
RATE = 250  # samples per second


class ProfileError(RuntimeError):
    pass


def ensure_py_spy(console: Console) -> str:
    """The py-spy binary of this venv (installed with pip into the venv when missing)."""
    local = VENV_BIN / "py-spy"
    if local.exists():
        return str(local)
    console.print(f"[yellow]py-spy is missing: pip install py-spy=={PY_SPY_VERSION}[/]")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", f"py-spy=={PY_SPY_VERSION}"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0 or not local.exists():
        found = shutil.which("py-spy")
        if found:
            return found
        raise ProfileError(f"could not install py-spy: {done.stderr.strip()[-500:]}")
    return str(local)


@dataclass
class Recording:
    svg: Path
    raw: Path
    top: Path
    processes: list[subprocess.Popen[bytes]]
    logs: list[Path]

    def wait(self, timeout: float) -> None:
        try:
            for process in self.processes:
                process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            for process in self.processes:
                process.kill()
                process.wait(timeout=10)
            raise ProfileError("py-spy did not finish in time") from None
        failed = [p for p in self.processes if p.returncode != 0]
        if failed:
            tails = [log.read_text(errors="replace")[-400:] for log in self.logs]
            raise ProfileError("py-spy failed: " + " | ".join(tails))


def start(
    py_spy: str, pid: int, seconds: int, out_dir: Path, work_dir: Path, stem: str
) -> Recording:
    """Start sampling ``pid`` for ``seconds``; call ``Recording.wait`` after the load run.

    The SVG and the top tables go to ``out_dir`` (kept with the results, overwritten by the
    next profile of the same scenario); the bulky collapsed stacks and logs to ``work_dir``.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    work_dir.mkdir(parents=True, exist_ok=True)
    svg, top = out_dir / f"{stem}.svg", out_dir / f"{stem}-top.txt"
    raw = work_dir / f"{stem}.collapsed.txt"
    processes = []
    logs = []
    for fmt, output in (("flamegraph", svg), ("raw", raw)):
        log = work_dir / f"{stem}.{fmt}.log"
        logs.append(log)
        command = [
            py_spy,
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(seconds),
            "--rate",
            str(RATE),
            "--nonblocking",
            "--format",
            fmt,
            "--output",
            str(output),
        ]
        with log.open("wb") as handle:
            processes.append(subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT))
    return Recording(svg, raw, top, processes, logs)


def _location(frame: str) -> tuple[str, str]:
    """``handler (/.../src/tenantry/core/ops.py:31)`` -> ``("handler", "tenantry/core/ops.py")``."""
    name, _, location = frame.partition(" (")
    file = location.rstrip(")").rsplit(":", 1)[0]
    for marker in ("/site-packages/", "/src/"):
        if marker in file:
            return name, file.split(marker, 1)[1]
    if "/lib/python3" in file:
        return name, "stdlib/" + file.split("/lib/python3", 1)[1].split("/", 1)[-1]
    return name, file


def _package(file: str) -> str:
    if file.startswith("<frozen importlib"):
        return "importlib (module loading)"
    if file.startswith("stdlib/"):
        part = file.removeprefix("stdlib/").split("/", 1)[0]
        return "stdlib " + part.removesuffix(".py")
    return file.split("/", 1)[0].removesuffix(".py") or "?"


def summarize(raw: Path, top: Path, *, limit: int = 30, title: str = "") -> str:
    """Write where the samples are: by package, by function (self), and which of Tenantry's own
    functions the time is spent under (inclusive). Returns the text."""
    own: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    ours: Counter[str] = Counter()
    total = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        frames = [_location(f) for f in stack.split(";") if f]
        if not frames:
            continue
        count = int(count_text)
        total += count
        leaf_name, leaf_file = frames[-1]
        own[f"{leaf_name} ({leaf_file})"] += count
        packages[_package(leaf_file)] += count
        mine = {f"{n} ({f})" for n, f in frames if f.startswith("tenantry/")}
        for name in mine - {"main (tenantry/cli.py)", "serve (tenantry/cli.py)"}:
            ours[name] += count

    def table(counter: Counter[str], rows: int) -> list[str]:
        return [
            f"{100 * count / max(total, 1):6.1f}%  {count:7d}  {name}"
            for name, count in counter.most_common(rows)
        ]

    text = "\n".join(
        [
            f"py-spy profile {title}".strip(),
            f"samples: {total} at {RATE} Hz, all threads, idle stacks excluded",
            "",
            "self samples by package (where the CPU is):",
            *table(packages, 15),
            "",
            f"top {limit} functions by self samples:",
            *table(own, limit),
            "",
            "Tenantry functions by inclusive samples (what the time is spent under):",
            *table(ours, limit),
            "",
        ]
    )
    top.write_text(text)
    return text
