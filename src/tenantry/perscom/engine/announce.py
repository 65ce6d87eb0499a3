"""What a write announces: one event per created, updated or deleted row of a resource
that declares an event noun.

The engine only collects them on the :class:`Call`; whoever opened the call (the gate)
hands them to the webhook dispatcher before the transaction commits, so an announcement
exists exactly when its write does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from tenantry.perscom.engine.context import Call
from tenantry.perscom.engine.runtime import Compiled

__all__ = ["Announcement", "Change", "announce", "changes_between"]

Change = Literal["created", "updated", "deleted"]


@dataclass(frozen=True, slots=True)
class Announcement:
    event: str
    """``user.created``."""
    data: dict[str, Any]
    """The row as the API shows it (Laravel's ``toArray()``)."""
    changes: dict[str, Any] | None
    """For an update, the attributes that changed with their new values (``getChanges()``)."""


def announce(
    call: Call,
    resource: Compiled,
    change: Change,
    item: Mapping[str, Any],
    before: Mapping[str, Any] | None = None,
) -> None:
    """Record ``change`` of ``item`` if ``resource`` is announced (a copy: the response
    may still be reshaped)."""
    noun = resource.decl.event
    if noun is None:
        return
    changes = changes_between(before, item) if change == "updated" and before else None
    call.announcements.append(Announcement(f"{noun}.{change}", dict(item), changes))


def changes_between(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """The attributes of ``before`` whose value differs in ``after``, with the new value."""
    return {key: after[key] for key in before if key in after and after[key] != before[key]}
