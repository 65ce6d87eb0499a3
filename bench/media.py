"""``python -m bench.media``: the media library's three figures against a real ``tenantry serve``.

- **Upload throughput**: ``--uploads`` files of ``--size-mb`` MB (distinct bytes, so no
  duplicates), each through the client's four calls in turn: ``POST /upload/``, ``POST
  /upload_policy/``, the form ``POST`` to the policy's URL, and the poll that ingests it.
  Files per second over the whole loop, one client (the rate a single uploader sees).
- **Variants**: the renditions of a 12 MP JPEG (4000x3000, photo-like content) by
  ``percolate.variant.renditions.render`` against Pillow called directly for the same three
  sizes (open, decode, resize to 520 wide, 440 square, 64 square, encode JPEG q85), in
  process, interleaved, the median of ``--variant-runs`` each. The direct call decodes at
  full size, as plain Pillow code does (target: render <= 1.2x it); a second direct call
  decodes at the same reduced JPEG scale as ``render`` (``draft``), so what ``render`` adds
  to the decoding it shares (EXIF orientation, Lanczos, the bomb guard) shows too.
- **Download**: a ``--download-gb`` GB asset (uploaded with ``s3_multipart``: 64 MiB parts
  streamed to local storage, completed and ingested on the poll), then ``GET
  /asset/{id}/download`` read to the end while the server's ``VmRSS`` is sampled every
  20 ms. Target: peak minus the pre-download baseline < 50 MB.

``bench/run.py`` runs it against its own server in full mode; standalone it starts a server
of its own on ``--database-url`` (default: SQLite under ``bench/.work/media``).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import statistics
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from bench.common import ROOT, VENV_BIN, WORK_DIR, free_port
from bench.servers import ManagedProcess, start_tenantry

NAME = "media"
TARGET_VARIANT_RATIO = 1.2
TARGET_RSS_GROWTH_MB = 50.0
PART_BYTES = 64 * 1024**2
SAMPLE_SECONDS = 0.02
MEDIUM, SQUARE, THUMBNAIL = 520, 440, 64


class MediaUnavailable(Exception):
    """A step the measurement needs failed; the message says which."""


@dataclass(frozen=True)
class MediaResult:
    uploads: int
    upload_bytes: int
    upload_seconds: float
    variant_seconds: float
    direct_seconds: float
    drafted_seconds: float
    download_bytes: int
    download_seconds: float
    rss_baseline_mb: float
    rss_peak_mb: float

    @property
    def files_per_second(self) -> float:
        return self.uploads / self.upload_seconds if self.upload_seconds > 0 else 0.0

    @property
    def variant_ratio(self) -> float:
        return self.variant_seconds / self.direct_seconds if self.direct_seconds > 0 else 0.0

    @property
    def rss_growth_mb(self) -> float:
        return self.rss_peak_mb - self.rss_baseline_mb

    def markdown(self) -> str:
        ratio_ok = self.variant_ratio <= TARGET_VARIANT_RATIO
        rss_ok = self.rss_growth_mb < TARGET_RSS_GROWTH_MB
        megabytes = self.upload_bytes / 1e6
        rate = self.download_bytes / 1e6 / self.download_seconds if self.download_seconds else 0
        return "\n".join(
            [
                "",
                "## Media library: uploads, variants, a 1 GB download (`bench/media.py`)",
                "",
                "| measure | figure |",
                "|---|---:|",
                f"| upload throughput ({self.uploads} x {megabytes / self.uploads:.1f} MB,"
                f" policy + POST + poll) | {self.files_per_second:.1f} files/s"
                f" ({self.upload_seconds:.1f} s) |",
                f"| variants of a 12 MP JPEG: `render` / Pillow direct (median)"
                f" | {self.variant_seconds * 1000:.0f} ms / {self.direct_seconds * 1000:.0f} ms"
                f" = {self.variant_ratio:.2f}x |",
                f"| the same, Pillow direct decoding at `render`'s reduced scale (`draft`)"
                f" | {self.variant_seconds * 1000:.0f} ms / {self.drafted_seconds * 1000:.0f} ms"
                f" = {self.variant_seconds / self.drafted_seconds:.2f}x |",
                f"| download of {self.download_bytes / 1e9:.2f} GB | {self.download_seconds:.1f} s"
                f" ({rate:.0f} MB/s) |",
                f"| server RSS before → peak during the download | {self.rss_baseline_mb:.1f} →"
                f" {self.rss_peak_mb:.1f} MB (+{self.rss_growth_mb:.1f} MB) |",
                "",
                f"- target variants <= {TARGET_VARIANT_RATIO}x Pillow direct: "
                f"{'met' if ratio_ok else 'MISSED'}",
                f"- target download RSS growth < {TARGET_RSS_GROWTH_MB:.0f} MB: "
                f"{'met' if rss_ok else 'MISSED'}",
                "",
            ]
        )


# -- the server and its credentials --------------------------------------------------------


def run_cli(env: dict[str, str], *args: str) -> dict[str, Any]:
    """``tenantry ARGS`` with the server's environment; the JSON object it prints last."""
    done = subprocess.run(
        [str(VENV_BIN / "tenantry"), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        raise MediaUnavailable(f"tenantry {' '.join(args[:2])}: {done.stderr.strip()[-300:]}")
    value = json.loads(lines[-1])
    if not isinstance(value, dict):
        raise MediaUnavailable(f"tenantry {' '.join(args[:2])} printed {lines[-1][:80]}")
    return value


def provision(env: dict[str, str]) -> tuple[str, str]:
    """A fresh tenant with a license and an admin: (bearer token, license id)."""
    stamp = str(time.time_ns())
    tenant = str(run_cli(env, "tenant", "create", "--name", f"Bench media {stamp}")["id"])
    license_id = str(
        run_cli(env, "scope", "create", "--tenant", tenant, "--type", "license", "--name", "Media")[
            "id"
        ]
    )
    user = run_cli(
        env, "user", "create", "--tenant", tenant, "--email", f"media{stamp}@bench.example.org",
        "--name", "Bench Media", "--role", "admin",
    )  # fmt: skip
    client = run_cli(
        env, "oauth-client", "create", "--tenant", tenant, "--name", "bench media",
        "--redirect-uri", "http://127.0.0.1/callback",
    )  # fmt: skip
    token = run_cli(
        env, "token", "create", "--tenant", tenant, "--user", str(user["id"]).split(":")[-1],
        "--client", str(client["client_id"]),
    )  # fmt: skip
    return str(token["access_token"]), license_id


# -- the three measures ---------------------------------------------------------------------


def _ok(response: httpx.Response, status: int) -> dict[str, Any]:
    if response.status_code != status:
        raise MediaUnavailable(f"{response.request.method} {response.request.url.path}: "
                               f"{response.status_code} {response.text[:300]}")  # fmt: skip
    data: dict[str, Any] = response.json()["data"] if response.content else {}
    return data


def _local(url: str) -> str:
    """The path (and query) of a storage URL, sent to the bench server whatever its base."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def measure_uploads(api: httpx.Client, license_id: str, count: int, size: int) -> tuple[int, float]:
    """``count`` three-step uploads and their polls, one after the other: (bytes, seconds)."""
    block = os.urandom(size)
    started = time.perf_counter()
    for index in range(count):
        content = index.to_bytes(8, "big") + block[8:]
        upload = _ok(api.post("/api/v5/upload/", json={
            "scope_id": license_id, "type": "file",
            "ext": {"filename": f"bench-{index}.bin", "file_size": size},
        }), 201)  # fmt: skip
        policy = _ok(api.post("/api/v5/upload_policy/", json={
            "upload_id": upload["id"], "type": "s3"}), 201)  # fmt: skip
        posted = api.post(
            _local(policy["url"]),
            data=policy["ext"]["fields"],
            files={"file": (f"bench-{index}.bin", content, "application/octet-stream")},
        )
        _ok(posted, 204)
        polled = _ok(api.get(f"/api/v5/upload/{upload['id']}"), 200)
        if polled["status"] != "ready":
            raise MediaUnavailable(f"upload {index} is {polled['status']}: {polled['error']}")
    return count * size, time.perf_counter() - started


def photo(width: int = 4000, height: int = 3000) -> bytes:
    """A 12 MP JPEG with photo-like detail (gradients and noise), about 2-4 MB."""
    from PIL import Image

    noise = Image.effect_noise((width // 4, height // 4), 60).convert("RGB")
    gradient = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    image = Image.blend(noise.resize((width, height), Image.Resampling.BICUBIC), gradient, 0.5)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def pillow_direct(data: bytes, *, drafted: bool = False) -> list[bytes]:
    """The same three sizes with Pillow alone: decode (``drafted``: at the reduced JPEG
    scale that still covers 520 px), resize, crop-fit, encode."""
    from PIL import Image, ImageOps

    outputs = []
    with Image.open(io.BytesIO(data)) as image:
        if drafted:
            image.draft("RGB", (MEDIUM, MEDIUM))
        image.load()
        medium = image.resize((MEDIUM, round(image.height * MEDIUM / image.width)))
        square = ImageOps.fit(image, (SQUARE, SQUARE))
        thumbnail = ImageOps.fit(square, (THUMBNAIL, THUMBNAIL))
        for made in (medium, square, thumbnail):
            out = io.BytesIO()
            made.save(out, "JPEG", quality=85)
            outputs.append(out.getvalue())
    return outputs


def _drafted(data: bytes) -> list[bytes]:
    return pillow_direct(data, drafted=True)


def measure_variants(runs: int) -> tuple[float, float, float]:
    """Median seconds of ``render``, :func:`pillow_direct` and the drafted direct call."""
    from tenantry.percolate.variant.renditions import render

    data = photo()
    timings: list[list[float]] = [[], [], []]
    calls: list[Callable[[bytes], object]] = [render, pillow_direct, _drafted]
    for call in calls:  # warm every path (codecs, imports)
        call(data)
    for _ in range(runs):
        for call, into in zip(calls, timings, strict=True):
            started = time.perf_counter()
            call(data)
            into.append(time.perf_counter() - started)
    ours, direct, drafted = (statistics.median(values) for values in timings)
    return ours, direct, drafted


def _parts(total: int) -> Iterator[tuple[int, int]]:
    for number, start in enumerate(range(0, total, PART_BYTES), 1):
        yield number, min(PART_BYTES, total - start)


def big_asset(api: httpx.Client, license_id: str, total: int) -> str:
    """A ``total``-byte asset through ``s3_multipart``; its id."""
    upload = _ok(api.post("/api/v5/upload/", json={
        "scope_id": license_id, "type": "file",
        "ext": {"filename": "big.bin", "file_size": total},
    }), 201)  # fmt: skip
    block = os.urandom(1024**2)
    for number, size in _parts(total):
        policy = _ok(api.post("/api/v5/upload_policy/", json={
            "upload_id": upload["id"], "type": "s3_multipart",
            "ext": {"part_number": number, "Content-Length": size},
        }), 201)  # fmt: skip

        def body(size: int = size) -> Iterator[bytes]:
            for start in range(0, size, len(block)):
                yield block[: min(len(block), size - start)]

        stored = api.put(
            _local(policy["url"]), content=body(), headers={"Content-Length": str(size)}
        )
        if stored.status_code != 200:
            raise MediaUnavailable(f"part {number}: {stored.status_code} {stored.text[:200]}")
    polled = _ok(api.get(f"/api/v5/upload/{upload['id']}", timeout=600), 200)
    if polled["status"] != "ready":
        raise MediaUnavailable(f"the big upload is {polled['status']}: {polled['error']}")
    return str(polled["asset_id"])


def measure_download(
    api: httpx.Client, asset_id: str, rss: Callable[[], float | None]
) -> tuple[int, float, float, float]:
    """Read the asset's download to the end: (bytes, seconds, RSS before, RSS peak) in MB."""
    baseline = rss() or 0.0
    peak = baseline
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, rss() or 0.0)
            time.sleep(SAMPLE_SECONDS)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    received = 0
    started = time.perf_counter()
    try:
        with api.stream("GET", f"/api/v5/asset/{asset_id}/download", timeout=600) as response:
            if response.status_code != 200:
                raise MediaUnavailable(f"download: {response.status_code}")
            for chunk in response.iter_raw(1024**2):
                received += len(chunk)
    finally:
        seconds = time.perf_counter() - started
        done.set()
        sampler.join()
    return received, seconds, baseline, peak


def measure_media(
    env: dict[str, str],
    port: int,
    server: ManagedProcess,
    *,
    uploads: int = 100,
    upload_mb: float = 1.0,
    download_gb: float = 1.0,
    variant_runs: int = 5,
) -> MediaResult:
    """All three measures against the running server at ``port`` (``server`` its process)."""
    token, license_id = provision(env)
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=120) as api:
        sent, upload_seconds = measure_uploads(api, license_id, uploads, int(upload_mb * 1e6))
        variant_seconds, direct_seconds, drafted_seconds = measure_variants(variant_runs)
        asset_id = big_asset(api, license_id, int(download_gb * 1e9))
        got, seconds, baseline, peak = measure_download(api, asset_id, server.rss_mib)
    return MediaResult(
        uploads, sent, upload_seconds, variant_seconds, direct_seconds, drafted_seconds, got,
        seconds,
        baseline * 1.048576, peak * 1.048576,
    )  # fmt: skip


# -- standalone ------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.media", description=__doc__)
    parser.add_argument("--database-url", default="", help="default: SQLite in the work dir")
    parser.add_argument("--uploads", type=int, default=100)
    parser.add_argument("--size-mb", type=float, default=1.0)
    parser.add_argument("--download-gb", type=float, default=1.0)
    parser.add_argument("--variant-runs", type=int, default=5)
    parser.add_argument("--output", type=Path, help="append the markdown section here")
    args = parser.parse_args(argv)
    work = WORK_DIR / "media"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TENANTRY_")}
    env.update({
        "TENANTRY_DATA_DIR": str(work),
        "TENANTRY_DATABASE_URL": args.database_url,
        "TENANTRY_EMBEDDED_WORKER": "false",
        "TENANTRY_DEMO_ON_FIRST_START": "false",
        "TENANTRY_LOG_LEVEL": "WARNING",
    })  # fmt: skip
    subprocess.run([str(VENV_BIN / "tenantry"), "migrate"], env=env, cwd=ROOT, check=True)
    port = free_port()
    server = start_tenantry(port, env)
    try:
        server.wait_ready(port, "/readyz")
        result = measure_media(
            env, port, server, uploads=args.uploads, upload_mb=args.size_mb,
            download_gb=args.download_gb, variant_runs=args.variant_runs,
        )  # fmt: skip
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    text = result.markdown()
    print(text)
    if args.output:
        with args.output.open("a") as sink:
            sink.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
