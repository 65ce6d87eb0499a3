"""schemathesis over both faces' specs against a real ``tenantry serve`` (API8:2023).

The contract tests (tests/contract.py) replay well-formed cases through the ASGI app; this
stage attacks a real server over its socket: positive *and* negative (schema-violating)
cases for every operation, then a stateful run following the specs' links (created rows
fed to later calls). Nothing may answer 5xx; positive cases must also match the spec.
Bounded: ``TENANTRY_FUZZ_EXAMPLES`` cases per operation and mode, and at most
``TENANTRY_FUZZ_SECONDS`` per face (two to three minutes per engine with the server's start);
``TENANTRY_FUZZ_SEED`` picks the cases and where in the spec the run starts.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.errors import Unsatisfiable
from tests.percolate.support.accounts import Caller
from tests.perscom.conftest import Org
from tests.security.server import Served, serve

from tenantry.settings import Settings

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

EXAMPLES = int(os.environ.get("TENANTRY_FUZZ_EXAMPLES", "4"))
SEED = int(os.environ.get("TENANTRY_FUZZ_SEED", "20231"))
BUDGET_SECONDS = float(os.environ.get("TENANTRY_FUZZ_SECONDS", "75"))
"""Per face: operations are fuzzed in turn until the budget is spent (the CI bound)."""
SPECS = {"perscom": "/v1/spec.json", "percolate": "/api/v5/spec.json"}


@pytest.fixture(scope="module")
def live(settings: Settings, migrated: None) -> Iterator[Served]:
    unlimited = "1000000/minute"  # the fuzzer is one client sending thousands of requests
    with serve(
        settings,
        TENANTRY_PERSCOM_KEY_RATE=unlimited,
        TENANTRY_PERSCOM_IP_RATE=unlimited,
        TENANTRY_PERCOLATE_TOKEN_RATE=unlimited,
    ) as served:
        yield served


def _fuzz(base_url: str, spec_path: str, headers: dict[str, str]) -> tuple[list[str], Counter[int]]:
    import schemathesis
    from schemathesis import GenerationMode
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
    )

    document = httpx.get(base_url + spec_path, timeout=120).json()  # built on first request
    schema = schemathesis.openapi.from_dict(document)
    schema.config.base_url = base_url
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    start = SEED % len(operations)  # each seed starts elsewhere, so runs cover the whole spec
    deadline = time.monotonic() + BUDGET_SECONDS
    for operation in operations[start:] + operations[:start]:
        if time.monotonic() > deadline:
            break
        statuses[0] += 1  # operations covered
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            checks: list[Any] = [not_a_server_error]
            if mode is GenerationMode.POSITIVE:
                checks += [content_type_conformance, response_schema_conformance]
            try:
                _checker(operation, mode, headers, checks, statuses)()
            except Unsatisfiable:
                continue  # nothing to violate (an operation without parameters or body)
            except (Exception, BaseExceptionGroup) as exc:  # every failing operation, together
                failures.append(f"{operation.label} [{mode.value}]: {exc}")
    return failures, statuses


def _checker(
    operation: Any, mode: Any, headers: dict[str, str], checks: list[Any], statuses: Counter[int]
) -> Any:
    """A seeded hypothesis test of one operation in one generation mode."""

    @seed(SEED)
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def check(case: Any) -> None:
        response = case.call_and_validate(headers=headers, checks=checks, timeout=60)
        statuses[response.status_code] += 1

    return check


@pytest.mark.timeout(900)
async def test_perscom_spec_fuzzing_finds_no_server_errors(live: Served, org: Org) -> None:
    failures, statuses = await anyio.to_thread.run_sync(
        _fuzz, live.base_url, SPECS["perscom"], org.headers
    )
    assert not failures, "\n\n".join(failures)
    assert not any(status >= 500 for status in statuses), statuses
    assert statuses[0] > 0 and statuses[200] + statuses[201] > 0, statuses


@pytest.mark.timeout(900)
async def test_percolate_spec_fuzzing_finds_no_server_errors(live: Served, admin: Caller) -> None:
    failures, statuses = await anyio.to_thread.run_sync(
        _fuzz, live.base_url, SPECS["percolate"], admin.headers
    )
    assert not failures, "\n\n".join(failures)
    assert not any(status >= 500 for status in statuses), statuses
    assert statuses[0] > 0 and statuses[200] + statuses[201] > 0, statuses
