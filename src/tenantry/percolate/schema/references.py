"""The ids an object's valid ``ext`` refers to, and errors for those that do not exist.

:func:`collect_references` lists the term, asset, link, post-attachment and tracking-tag ids
a valid ``ext`` holds, each at its path, so the service can check that they exist in the
tenant with one query per kind (:func:`references_by_kind`);
:func:`missing_reference_errors` turns the answer into errors.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from tenantry.core.errors import FieldError
from tenantry.percolate.schema.compile import CompiledSchema
from tenantry.percolate.schema.definition import REFERENCE_FIELD_KINDS, FieldSpec
from tenantry.percolate.schema.dialect import step

__all__ = [
    "Reference",
    "collect_references",
    "missing_reference_errors",
    "references_by_kind",
]


@dataclass(frozen=True, slots=True)
class Reference:
    """An id a value points at, and where (so a missing one is reported at its path)."""

    kind: str
    id: str
    path: str


def collect_references(
    compiled: CompiledSchema, values: Mapping[str, Any], *, root: str = "$.ext"
) -> list[Reference]:
    """The references held by valid ``values``, in field order."""
    found: list[Reference] = []
    for spec in compiled.definition.fields:
        _field_references(spec, values.get(spec.key), f"{root}{step(spec.key)}", found)
    for plugin in compiled.definition.plugins:
        if plugin.type not in {"links", "tracking_tags"}:
            continue
        entries = values.get(plugin.key)
        for index, entry in enumerate(entries if isinstance(entries, list) else []):
            for position, tag in enumerate(entry.get("tracking_tag_ids") or []):
                path = f"{root}{step(plugin.key)}[{index}].tracking_tag_ids[{position}]"
                found.append(Reference("tracking_tag", tag, path))
    return found


def _field_references(spec: FieldSpec, value: Any, path: str, found: list[Reference]) -> None:
    if not isinstance(value, list):
        return
    kind = REFERENCE_FIELD_KINDS.get(spec.type)
    for index, item in enumerate(value):
        where = f"{path}[{index}]"
        if kind is not None and isinstance(item, str):
            found.append(Reference(kind, item, where))
        elif kind is not None and isinstance(item, list):
            found.extend(
                Reference(kind, inner, f"{where}[{position}]")
                for position, inner in enumerate(item)
                if isinstance(inner, str)
            )
        elif spec.fields and isinstance(item, dict):
            for sub in spec.fields:
                _field_references(sub, item.get(sub.key), f"{where}{step(sub.key)}", found)


def references_by_kind(references: Iterable[Reference]) -> dict[str, set[str]]:
    """The distinct ids of each kind: one existence query per kind."""
    grouped: dict[str, set[str]] = {}
    for reference in references:
        grouped.setdefault(reference.kind, set()).add(reference.id)
    return grouped


def missing_reference_errors(
    references: Iterable[Reference], existing: Mapping[str, Collection[str]]
) -> list[FieldError]:
    """An error at the path of every reference whose id is not among ``existing[kind]``
    (kinds absent from ``existing`` are not checked)."""
    return [
        FieldError(
            key=reference.path,
            message=f"{reference.kind} {reference.id} does not exist",
            value=reference.id,
            code="not_found",
        )
        for reference in references
        if reference.kind in existing and reference.id not in existing[reference.kind]
    ]
