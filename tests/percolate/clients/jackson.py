"""What the vendor's clients accept for a declared type (clients.md §2.3): Jackson's rules
for the Java SDK, and the plain JSON kinds the WordPress plugin's PHP/JS code relies on."""

from __future__ import annotations

from typing import Any

S, N, B, L, M, DTO = "S", "N", "B", "L", "M", "DTO"
"""String, number, boolean, list, map (``{}``), nested object (DTO)."""


def accepts(kind: str, value: Any) -> bool:
    if value is None:
        return True
    if kind == S:
        return isinstance(value, str | int | float | bool)
    if kind == N:
        if isinstance(value, bool):
            return False
        if isinstance(value, int | float):
            return True
        return isinstance(value, str) and value.lstrip("-").replace(".", "", 1).isdigit()
    if kind == B:
        return isinstance(value, bool) or value in ("true", "false", 0, 1)
    if kind == L:
        return isinstance(value, list)
    if kind in (M, DTO):
        return isinstance(value, dict)
    raise ValueError(kind)


def check(obj: Any, kinds: dict[str, str], where: str = "") -> None:
    """Every declared field present in ``obj`` maps; undeclared fields are ignored (Jackson
    ignores unknown properties); other fields are strings in the SDK's DTOs."""
    assert isinstance(obj, dict), f"{where}: not an object: {obj!r}"
    for name, value in obj.items():
        kind = kinds.get(name, S)
        if kind == "*":
            continue
        assert accepts(kind, value), f"{where}.{name}: {value!r} does not map as {kind}"


def check_all(items: Any, kinds: dict[str, str], where: str) -> None:
    assert isinstance(items, list), f"{where}: not a list"
    for index, item in enumerate(items):
        check(item, kinds, f"{where}[{index}]")


LIST_META = {"total": N, "query": M}
USER = {"default_license_id": N, "active": B, "disabled": B, "complete": B, "errors": L}
ROLE = {"capabilities": L}
CHANNEL = {"term_ids": L, "media_buyer_ids": L, "capabilities": L, "ext": "*"}
SCHEMA = {
    "fields": L,
    "plugins": L,
    "fieldsets": L,
    "limit_resource_types": L,
    "in_use": B,
    "version": DTO,
    "ext": M,
}
SCHEMA_FIELD = {"required": B, "ext": M}
SCHEMA_VERSION = {"version_id": S, "provenance_id": S, "latest_version_id": S}
POST = {
    "ingested": B,
    "asset_ids": L,
    "topic_ids": L,
    "term_ids": L,
    "post_attachment_ids": L,
    "origin_ids": L,
    "link_ids": L,
    "metadata": L,
    "ext": M,
}
METADATA = {"ext": M}
COMMENT = {"mentions": L, "context_ext": DTO}
MENTION = {"object_id": S, "offset": N, "length": N}
TERM = {"child_count": N, "path_ids": L}
