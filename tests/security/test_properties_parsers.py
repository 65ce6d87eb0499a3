"""Hypothesis over the parsers that see raw client input: whatever they are given, they
answer a value of the promised shape or the face's own client error — never anything that
would become a 500 (API8:2023)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tenantry.core.bodies import (
    MAX_JSON_DEPTH,
    JsonRefused,
    find_nul,
    json_depth_exceeds,
    parse_json,
)
from tenantry.core.errors import TenantryError
from tenantry.percolate import ids
from tenantry.percolate.api.ids import parse_scope
from tenantry.percolate.api.params import csv_param, parse_moment
from tenantry.percolate.metadata.filters import parse_key
from tenantry.percolate.schema.declaration import parse_schema_ref
from tenantry.perscom.engine.query import coerce, parse_search_body

INT64_MAX = 2**63 - 1
FAST = settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=INT64_MAX)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


# -- core: JSON and NUL ------------------------------------------------------------------


@FAST
@given(st.binary(max_size=200))
def test_parse_json_answers_a_value_or_refuses(raw: bytes) -> None:
    try:
        value = parse_json(raw)
    except JsonRefused:
        return
    assert _depth(value) <= MAX_JSON_DEPTH


@FAST
@given(json_values)
def test_parse_json_round_trips_shallow_documents(value: Any) -> None:
    assert parse_json(json.dumps(value)) == value


@FAST
@given(st.integers(min_value=1, max_value=3000))
def test_depth_is_refused_past_the_limit_at_any_depth(depth: int) -> None:
    raw = "[" * depth + "]" * depth
    if depth <= MAX_JSON_DEPTH:
        assert parse_json(raw) is not None
    else:
        with pytest.raises(JsonRefused):
            parse_json(raw)


@FAST
@given(json_values)
def test_json_depth_agrees_with_a_recursive_count(value: Any) -> None:
    for limit in (0, 1, 2, 3):
        assert json_depth_exceeds(value, limit) == (_depth(value) > limit)


@FAST
@given(json_values)
def test_find_nul_finds_one_exactly_when_there_is_one(value: Any) -> None:
    assert (find_nul(value) is not None) == _has_nul(value)


# -- PERSCOM -----------------------------------------------------------------------------


@FAST
@given(json_values)
def test_perscom_search_bodies_parse_or_are_a_client_error(payload: Any) -> None:
    try:
        parse_search_body(payload)
    except TenantryError as error:
        assert error.status < 500


@FAST
@given(
    st.dictionaries(
        st.sampled_from(["filters", "sort", "search", "scopes", "includes", "aggregates"]),
        json_values,
        max_size=4,
    )
)
def test_perscom_search_bodies_with_known_keys_too(payload: dict[str, Any]) -> None:
    try:
        parse_search_body(payload)
    except TenantryError as error:
        assert error.status < 500


@FAST
@given(json_values, st.sampled_from(["int", "bool", "datetime", "float", "string"]))
def test_perscom_filter_values_coerce_or_refuse(value: Any, kind: Any) -> None:
    try:
        coerced = coerce(value, kind)
    except ValueError:
        return
    if kind == "int":
        assert -(2**63) <= coerced <= INT64_MAX
    if kind == "datetime":
        assert isinstance(coerced, datetime) and coerced.tzinfo is not None


# -- Percolate ---------------------------------------------------------------------------


@FAST
@given(st.text(max_size=40) | st.from_regex(r"user:[0-9]{1,30}", fullmatch=True))
def test_typed_ids_parse_within_int64(text: str) -> None:
    key = ids.parse("user", text)
    assert key is None or 0 <= key <= INT64_MAX


@FAST
@given(st.text(max_size=40) | st.from_regex(r"(brand|license|account):[0-9]{1,30}", fullmatch=True))
def test_scope_refs_parse_or_are_a_client_error(text: str) -> None:
    try:
        ref = parse_scope(text, "scope_id")
    except TenantryError as error:
        assert error.status < 500
        return
    assert ref.key is None or 0 <= ref.key <= INT64_MAX


@FAST
@given(
    st.text(max_size=40)
    | st.datetimes(timezones=st.timezones()).map(datetime.isoformat)
    | st.dates().map(str)
    | st.sampled_from(["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
)
def test_moments_parse_to_utc_or_are_a_client_error(raw: str) -> None:
    try:
        moment = parse_moment("created_at:from", raw)
    except TenantryError as error:
        assert error.status < 500
        return
    assert moment.tzinfo is UTC or moment.utcoffset() is not None


@FAST
@given(st.text(max_size=300))
def test_csv_params_parse_or_are_a_client_error(raw: str) -> None:
    param = csv_param("statuses", "test", pattern=r"^[a-z_]+$")
    try:
        values = param.parse(raw)
    except TenantryError as error:
        assert error.status < 500
        return
    assert all(value and "," not in value for value in values)


@FAST
@given(
    st.text(max_size=60)
    | st.from_regex(
        r"(has_)?metadata\.schema:[0-9]{1,30}\.[a-z/_]{0,20}(\.(from|to))?", fullmatch=True
    ),
    st.text(max_size=60),
)
def test_metadata_filter_keys_parse_or_are_a_client_error(key: str, raw: str) -> None:
    try:
        found = parse_key(key, raw)
    except TenantryError as error:
        assert error.status < 500
        return
    try:
        parse_schema_ref(found.schema, found.key)
    except TenantryError as error:
        assert error.status < 500
