"""What the audit log never records: secret columns, bookkeeping columns, derived tables."""

from __future__ import annotations

__all__ = ["REDACTED", "audited_table", "is_noise", "is_secret"]

REDACTED = "[redacted]"

_SECRET_PARTS = ("password", "secret", "token", "hash", "seed", "sealed", "recovery", "otp")
"""A column whose name holds one of these keeps credentials or their hashes: the log says
it changed, never its value."""

_NOISE = frozenset({"tenant_id", "last_used_at", "last_used_step"})
"""The tenant (the entry has it) and columns that change on use, not by anybody's edit.
``updated_at`` stays: an update that changes nothing else still touched the row."""

_NOT_AUDITED = frozenset(
    {
        "audit_entries",
        "audit_heads",
        "jobs",
        "webhook_deliveries",
        "perscom_activity",
        "scope_links",
        "percolate_metadata_values",
        "id_counter",
    }
)
"""The log itself, the machinery (jobs, delivery and API logs) and tables derived from others
(the scope closure, the metadata index): changing them is a consequence, not an edit."""


def audited_table(name: str) -> bool:
    return name not in _NOT_AUDITED


def is_secret(column: str) -> bool:
    lowered = column.lower()
    return any(part in lowered for part in _SECRET_PARTS)


def is_noise(column: str) -> bool:
    return column in _NOISE
