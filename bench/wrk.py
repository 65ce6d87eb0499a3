"""wrk: install it (Debian), script one request, run it, read its figures.

The Lua script sets the method, headers and body, and its ``done`` hook prints one JSON line
(requests, errors, latency percentiles in microseconds) that ``run`` parses, so nothing depends
on the layout of wrk's human-readable report.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

MARKER = "BENCH_JSON "

DONE_HOOK = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '%s{"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"mean":%.1f,"stdev":%.1f,"max":%.0f,' ..
    '"p50":%.0f,"p75":%.0f,"p90":%.0f,"p99":%.0f,"p999":%.0f}}\n',
    "BENCH_JSON ", summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency.stdev, latency.max,
    latency:percentile(50), latency:percentile(75), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9)))
end
"""


class WrkError(RuntimeError):
    pass


def ensure_wrk(console: Console) -> str:
    """The path of ``wrk``, installing the Debian package first if it is missing."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        raise WrkError("wrk is not installed: run `sudo apt-get install -y wrk`")
    console.print("[yellow]wrk is missing: apt-get update && apt-get install -y wrk[/]")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update"], ["apt-get", "install", "-y", "wrk"]):
        done = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=600, check=False
        )
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            raise WrkError(f"`{' '.join(command)}` failed: {' / '.join(tail)}")
    found = shutil.which("wrk")
    if not found:
        raise WrkError("apt-get installed wrk but it is not on PATH")
    return found


def lua_string(text: str) -> str:
    """A double-quoted Lua string literal for ``text`` (bytes outside printable ASCII escaped)."""
    out = []
    for byte in text.encode():
        char = chr(byte)
        if char in '"\\':
            out.append("\\" + char)
        elif 32 <= byte < 127:
            out.append(char)
        else:
            out.append(f"\\{byte:03d}")
    return '"' + "".join(out) + '"'


def _lua_table(headers: dict[str, str]) -> str:
    return "{" + ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in headers.items()) + "}"


def write_script(
    path: Path,
    method: str,
    requests: list[tuple[str, dict[str, str]]],
    body: bytes | None,
) -> Path:
    """A script cycling through ``requests`` (path and headers each), one per wrk request.

    The requests are formatted once per thread (``init``); each thread starts at a different
    place in the list, so at any moment the connections hit many tenants and credentials.
    """
    lines = [f"local method = {lua_string(method)}"]
    lines.append("local body = " + (lua_string(body.decode()) if body is not None else "nil"))
    lines.append("local specs = {")
    for request_path, headers in requests:
        headers = dict(headers)
        if body is not None and not any(n.lower() == "content-type" for n in headers):
            headers["Content-Type"] = "application/json"
        lines.append(f"  {{{lua_string(request_path)}, {_lua_table(headers)}}},")
    lines.append("}")
    lines.append(CYCLE)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n" + DONE_HOOK)
    return path


CYCLE = r"""
local formatted = {}
local next_index = 1
local thread_number = 0

setup = function(thread)
  thread:set("thread_number", thread_number)
  thread_number = thread_number + 1
end

init = function(_args)
  for i, spec in ipairs(specs) do
    local headers = spec[2]
    headers["Host"] = wrk.host .. ":" .. wrk.port
    formatted[i] = wrk.format(method, spec[1], headers, body)
  end
  next_index = (thread_number * 7) % #formatted + 1
end

request = function()
  local chosen = formatted[next_index]
  next_index = next_index % #formatted + 1
  return chosen
end
"""


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    bytes: int
    errors: dict[str, int]
    latency_us: dict[str, float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def p50_ms(self) -> float:
        return self.latency_us["p50"] / 1000

    @property
    def p99_ms(self) -> float:
        return self.latency_us["p99"] / 1000

    @property
    def non_2xx(self) -> int:
        return self.errors.get("status", 0)

    @property
    def socket_errors(self) -> int:
        return sum(v for k, v in self.errors.items() if k != "status")


def parse(output: str) -> WrkResult:
    for line in output.splitlines():
        if line.startswith(MARKER):
            data = json.loads(line[len(MARKER) :])
            return WrkResult(
                requests=int(data["requests"]),
                seconds=int(data["duration_us"]) / 1e6,
                bytes=int(data["bytes"]),
                errors={k: int(v) for k, v in data["errors"].items()},
                latency_us={k: float(v) for k, v in data["latency_us"].items()},
            )
    raise WrkError(f"wrk printed no {MARKER.strip()} line:\n{output[-2000:]}")


def run(
    wrk: str,
    url: str,
    script: Path,
    *,
    threads: int,
    connections: int,
    duration: float,
    log: Path | None = None,
) -> WrkResult:
    """One wrk run against ``url`` (must be loopback); bounded by a hard timeout."""
    if not url.startswith(("http://127.0.0.1:", "http://localhost:")):
        raise WrkError(f"refusing to load anything but loopback: {url}")
    command = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(duration))}s",
        "--latency",
        "--timeout",
        "10s",
        "-s",
        str(script),
        url,
    ]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=duration + 60, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise WrkError(f"wrk did not finish within {duration + 60:.0f}s") from exc
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("a") as handle:
            handle.write(f"$ {' '.join(command)}\n{done.stdout}{done.stderr}\n")
    if done.returncode != 0:
        raise WrkError(f"wrk exited {done.returncode}: {done.stderr.strip()[:500]}")
    return parse(done.stdout)
