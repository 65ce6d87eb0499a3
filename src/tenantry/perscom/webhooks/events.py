"""The events a PERSCOM webhook may listen to (``App\\Models\\Enums\\WebhookEvent``)."""

from __future__ import annotations

__all__ = ["ANNOUNCED_NOUNS", "EVENTS", "TEST_EVENT", "unknown_events"]

ANNOUNCED_NOUNS = (
    "assignmentrecord",
    "awardrecord",
    "calendar",
    "combatrecord",
    "event",
    "message",
    "qualificationrecord",
    "rankrecord",
    "servicerecord",
    "submission",
    "user",
)
"""The resources whose writes are announced (their declarations name the same ``event``)."""
CHANGES = ("created", "updated", "deleted")
TEST_EVENT = "webhook.test"
EVENTS = (
    *(f"{noun}.{change}" for noun in ANNOUNCED_NOUNS for change in CHANGES),
    TEST_EVENT,
)


def unknown_events(events: list[str]) -> list[str]:
    return [event for event in events if event not in EVENTS]
