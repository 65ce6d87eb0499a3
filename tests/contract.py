"""schemathesis over a face's OpenAPI document through the ASGI app, for every face's contract
test: generated requests never get a 5xx, and every answer matches the spec (status code,
content type, body schema).

schemathesis runs its ASGI client on an event loop of its own, so the app handed over must be
a fresh one (its database connections are then made on that loop), driven from a worker
thread. Each operation gets a bounded number of examples; a face adapts the cases (real ids
for some generated ones, a tenant header, valid body parts) through ``prepare``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

import anyio
from hypothesis import HealthCheck, Phase, given, settings

Operation = Any
"""A schemathesis API operation (``.label``, ``.method``, ``.path``)."""
Case = Any
"""A schemathesis case (``.path_parameters``, ``.headers``, ``.body``), editable in place."""


async def check_contract(
    app: Any,
    spec_path: str,
    *,
    headers: Mapping[str, str],
    examples: int,
    include: Callable[[Operation], bool] = lambda operation: True,
    order: Callable[[Operation], Any] | None = None,
    prepare: Callable[[Operation, Case], None] | None = None,
) -> Counter[int]:
    """Run every included operation of the spec at ``spec_path`` (in ``order``, if given) with
    ``headers`` on each request; fail listing every operation that failed; answer how many
    responses had each status, so the caller can check the run reached real rows."""
    statuses: Counter[int] = Counter()
    failures = await anyio.to_thread.run_sync(
        _run, app, spec_path, dict(headers), examples, include, order, prepare, statuses
    )
    assert not failures, "\n\n".join(failures)
    return statuses


def _run(
    app: Any,
    spec_path: str,
    headers: dict[str, str],
    examples: int,
    include: Callable[[Operation], bool],
    order: Callable[[Operation], Any] | None,
    prepare: Callable[[Operation, Case], None] | None,
    statuses: Counter[int],
) -> list[str]:
    import schemathesis
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]
    schema = schemathesis.openapi.from_asgi(spec_path, app)
    operations = [result.ok() for result in schema.get_all_operations()]
    chosen = [operation for operation in operations if include(operation)]
    if order is not None:
        chosen.sort(key=order)
    failures: list[str] = []
    for operation in chosen:
        try:
            _checker(operation, headers, checks, examples, prepare, statuses)()
        except Exception as exc:  # collect every operation's failure, report them together
            failures.append(f"{operation.label}: {exc}")
    return failures


def _checker(
    operation: Operation,
    headers: dict[str, str],
    checks: list[Any],
    examples: int,
    prepare: Callable[[Operation, Case], None] | None,
    statuses: Counter[int],
) -> Callable[[], None]:
    """A hypothesis test of one operation, deterministic and without a deadline."""

    @given(case=operation.as_strategy())
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def check(case: Case) -> None:
        if prepare is not None:
            prepare(operation, case)
        response = case.call_and_validate(headers=headers, checks=checks)
        statuses[response.status_code] += 1

    return check
