"""schemathesis over both faces' specs against a real ``tenantry serve`` (API8:2023).

The contract tests (tests/contract.py) replay well-formed cases through the ASGI app; this
stage attacks a real server over its socket, in two parts per face:

* **Every operation of the spec, every run**: ``TENANTRY_FUZZ_EXAMPLES`` positive and as many
  negative (schema-violating) cases per operation from schemathesis' coverage phase —
  deterministic, a count rather than a wall-clock budget, so each run covers the whole spec
  and a failure replays.
* **Stateful links** for the main resource families: the create operation's answer is linked
  (OpenAPI links) to reading, updating and deleting the created row, and schemathesis' state
  machine (seeded by ``TENANTRY_FUZZ_SEED``) walks those links, so the item operations meet
  real ids instead of 404s.

Nothing may answer 5xx; positive answers must also match the spec.
"""

from __future__ import annotations

import copy
import itertools
import os
from collections import Counter
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

import anyio
import httpx
import pytest
from hypothesis import HealthCheck, Phase
from tests.percolate.support.accounts import Caller
from tests.perscom.conftest import Org
from tests.security.server import Served, serve

from tenantry.settings import Settings

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

EXAMPLES = int(os.environ.get("TENANTRY_FUZZ_EXAMPLES", "1"))
"""Cases per operation and generation mode (the CI bound: the specs have ~950 operations)."""
SEED = int(os.environ.get("TENANTRY_FUZZ_SEED", "20231"))
SCENARIOS = int(os.environ.get("TENANTRY_FUZZ_SCENARIOS", "2"))
"""State-machine runs per linked family, each of at most :data:`STEPS` calls."""
STEPS = 4
SPECS = {"perscom": "/v1/spec.json", "percolate": "/api/v5/spec.json"}
FAMILIES = {
    "perscom": [
        (f"/v1/{name}", f"/v1/{name}/{{id}}", "id")
        for name in ("users", "ranks", "awards", "units", "positions", "documents")
    ],
    "percolate": [
        (f"/api/v5/{name}/", f"/api/v5/{name}/{{{name}_id}}", f"{name}_id")
        for name in ("user", "role", "term", "schema")
    ],
}
"""Per face: (collection path, item path, the item path's id parameter) of the linked families."""
ITEM_METHODS = ("get", "put", "patch", "delete")


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


def _document(base_url: str, face: str) -> dict[str, Any]:
    document: dict[str, Any] = httpx.get(base_url + SPECS[face], timeout=120).json()
    return document


def _fuzz_every_operation(
    base_url: str, document: dict[str, Any], headers: dict[str, str]
) -> tuple[list[str], Counter[int]]:
    """The first :data:`EXAMPLES` cases of schemathesis' coverage phase per operation and
    mode: deterministic boundary values (positive) and schema violations (negative), cheap
    to draw, so every operation fits in each run."""
    import requests
    import schemathesis
    from schemathesis import GenerationMode
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
    )

    schema = schemathesis.openapi.from_dict(document)
    schema.config.base_url = base_url
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    with requests.Session() as session:
        for result in schema.get_all_operations():
            operation = result.ok()
            statuses[0] += 1  # operations covered
            config = schema.config.generation_for(operation=operation, phase="coverage")
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                checks: list[Any] = [not_a_server_error]
                if mode is GenerationMode.POSITIVE:
                    checks += [content_type_conformance, response_schema_conformance]
                cases = schema.iter_coverage_cases(
                    operation, generation_modes=[mode], generation_config=config
                )
                for case in itertools.islice(cases, EXAMPLES):
                    try:
                        response = case.call_and_validate(
                            session=session, headers=headers, checks=checks, timeout=60
                        )
                    except (Exception, BaseExceptionGroup) as exc:
                        failures.append(f"{operation.label} [{mode.value}]: {exc}")
                        break
                    statuses[response.status_code] += 1
    return failures, statuses


def with_links(document: dict[str, Any], face: str) -> dict[str, Any]:
    """``document`` (changed in place) with OpenAPI links from each family's create answer
    to its item operations, the created ``data.id`` as the item's id.

    The create operations are narrowed to what makes a row (their required fields as plain
    words, no optional parameters): the server rightly refuses most random bodies (empty
    names, unknown ``include``, dangling references), and a refused create has no id to
    follow. Every operation meets hostile input in the stateless part instead.
    """
    paths = document["paths"]
    for collection, item, parameter in FAMILIES[face]:
        create = paths[collection]["post"]
        create["parameters"] = [
            p for p in create.get("parameters", []) if _resolve(document, p).get("required")
        ]
        media = create["requestBody"]["content"]["application/json"]
        media["schema"] = _row_maker(document, _resolve(document, media["schema"]))
        created = create["responses"]["201"]
        pointer = "#/paths/" + item.replace("~", "~0").replace("/", "~1")
        created["links"] = {
            f"{method.upper()} {item}": {
                "operationRef": f"{pointer}/{method}",
                "parameters": {parameter: "$response.body#/data/id"},
            }
            for method in ITEM_METHODS
            if method in paths[item]
        }
    return document


def _resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _row_maker(document: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """The required properties of a create body; free strings become short words."""
    properties: dict[str, Any] = {}
    for name in body.get("required", []):
        schema = _resolve(document, body.get("properties", {}).get(name, {}))
        free_string = schema.get("type") == "string" and not ({"enum", "format"} & set(schema))
        if free_string or (schema.get("format") == "email"):
            suffix = r"@example\.com" if "email" in name or schema.get("format") == "email" else ""
            word = "#[0-9a-f]{6}" if name == "color" else f"[a-z][a-z0-9]{{3,12}}{suffix}"
            schema = {"type": "string", "pattern": f"^{word}$"}
        properties[name] = schema
    return {
        "type": "object",
        "required": list(properties),
        "properties": properties,
        "additionalProperties": False,
    }


def _walk_links(
    base_url: str, document: dict[str, Any], face: str, headers: dict[str, str]
) -> tuple[list[str], Counter[str]]:
    """Each family's state machine; counts answers per (method, path template, status class,
    and whether the item's id came from a create answer)."""
    import schemathesis
    from hypothesis import settings as hypothesis_settings
    from schemathesis import GenerationMode
    from schemathesis.checks import not_a_server_error

    schema = schemathesis.openapi.from_dict(with_links(copy.deepcopy(document), face))
    schema.config.base_url = base_url
    schema.config.generation.update(modes=[GenerationMode.POSITIVE])  # valid rows get created
    seen: Counter[str] = Counter()
    created: set[str] = set()
    failures: list[str] = []
    for collection, item, _ in FAMILIES[face]:
        family = schema.include(path=[collection, item])
        base = family.as_state_machine()

        class Machine(base):  # type: ignore[valid-type,misc]
            rule_order_seed = SEED

            def get_call_kwargs(self, case: Any) -> dict[str, Any]:
                return {"headers": headers, "timeout": 60}

            def validate_response(
                self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any
            ) -> None:
                status = f"{response.status_code // 100}xx"
                if case.method == "POST" and response.status_code == 201:
                    created.add(str(response.json()["data"]["id"]))
                elif {unquote(str(v)) for v in (case.path_parameters or {}).values()} & created:
                    status += " created"  # an id the machine took from a create answer
                seen[f"{case.method} {case.path} {status}"] += 1
                case.validate_response(response, checks=[not_a_server_error])

        try:
            Machine.run(
                settings=hypothesis_settings(
                    max_examples=SCENARIOS,
                    stateful_step_count=STEPS,
                    derandomize=True,
                    database=None,
                    deadline=None,
                    phases=[Phase.generate],
                    suppress_health_check=list(HealthCheck),
                )
            )
        except (Exception, BaseExceptionGroup) as exc:
            failures.append(f"{collection} (stateful): {exc}")
    return failures, seen


def _linked_items_reached(face: str, seen: Counter[str]) -> list[str]:
    """The families whose item operations never answered 2xx for a created id (their links
    were not walked)."""
    return [
        item
        for _, item, _ in FAMILIES[face]
        if not any(key.endswith(" 2xx created") and f" {item} " in key for key in seen)
    ]


async def _fuzz_face(face: str, base_url: str, headers: dict[str, str]) -> None:
    document = await anyio.to_thread.run_sync(_document, base_url, face)
    # Links first: rows the coverage cases create would collide with the machine's
    # (unique names and emails), and a failed create leaves no id to follow.
    failures, seen = await anyio.to_thread.run_sync(_walk_links, base_url, document, face, headers)
    assert not failures, "\n\n".join(failures)
    assert not any(key.endswith("5xx") for key in seen), seen
    assert not _linked_items_reached(face, seen), seen
    failures, statuses = await anyio.to_thread.run_sync(
        _fuzz_every_operation, base_url, document, headers
    )
    assert not failures, "\n\n".join(failures)
    assert not any(status >= 500 for status in statuses), statuses
    operations = sum(
        method in ("get", "post", "put", "patch", "delete")
        for path in document["paths"].values()
        for method in path
    )
    assert statuses[0] == operations, statuses  # every operation, every run
    assert statuses[200] + statuses[201] > 0, statuses


@pytest.mark.timeout(900)
async def test_perscom_spec_fuzzing_finds_no_server_errors(live: Served, org: Org) -> None:
    await _fuzz_face("perscom", live.base_url, org.headers)


@pytest.mark.timeout(900)
async def test_percolate_spec_fuzzing_finds_no_server_errors(live: Served, admin: Caller) -> None:
    await _fuzz_face("percolate", live.base_url, admin.headers)
