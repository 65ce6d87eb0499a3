"""The whole scale-out topology (``scripts/cluster.sh``), started once for the cluster tests.

Every part is the real server on loopback ports; the tests kill and restart them. They run
only when asked (``make cluster-test`` sets ``TENANTRY_CLUSTER_TEST=1``; ``make test`` runs
them as a step after the pytest legs): they need PostgreSQL's server binaries, HAProxy,
Redis and wrk.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.cluster.topology import (
    SCRIPT,
    Cluster,
    Credentials,
    free_base,
    make_credentials,
    missing_tools,
    read_env,
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("TENANTRY_CLUSTER_TEST") == "1":
        return
    skip = pytest.mark.skip(reason="the cluster tests run with make cluster-test")
    for item in items:
        if "tests/cluster/" in item.nodeid:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    if missing := missing_tools():
        pytest.fail(f"the cluster needs {', '.join(missing)} (apt-get install them)")
    running = os.environ.get("TENANTRY_CLUSTER_DIR")
    if running:  # drill a cluster already up (scripts/cluster.sh start), and leave it up
        script_env = dict(os.environ)
        base = int(os.environ.get("TENANTRY_CLUSTER_PORT", "8400"))
        yield Cluster(Path(running), base, script_env, read_env(Path(running) / "tenantry.env"))
        return
    directory = Path(tempfile.mkdtemp(prefix="tenantry-cluster-"))
    directory.chmod(0o755)  # PostgreSQL runs as its own user when we are root
    base = free_base()
    script_env = {k: v for k, v in os.environ.items() if not k.startswith("TENANTRY_")}
    script_env |= {"TENANTRY_CLUSTER_DIR": str(directory), "TENANTRY_CLUSTER_PORT": str(base)}
    try:
        started = subprocess.run(
            [str(SCRIPT), "start"], env=script_env, capture_output=True, text=True, timeout=300
        )
        if started.returncode != 0:
            logs = "\n".join(
                f"--- {path.name}\n{path.read_text(errors='replace')[-2000:]}"
                for path in sorted((directory / "log").glob("*.log"))
            )
            pytest.fail(f"the cluster did not start:\n{started.stderr}\n{logs}")
        yield Cluster(directory, base, script_env, read_env(directory / "tenantry.env"))
    finally:
        subprocess.run([str(SCRIPT), "stop"], env=script_env, capture_output=True, timeout=120)
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="session")
def credentials(cluster: Cluster) -> Credentials:
    return asyncio.run(make_credentials(cluster.settings()))
