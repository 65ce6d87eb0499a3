"""Times on the wire: Laravel's UTC text with six fraction digits and ``Z``, whatever the
fraction (orjson leaves a zero one out) and whichever way the driver hands the value back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from tenantry.perscom.engine.runtime import format_datetime

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("value", "wire"),
    [
        (datetime(2025, 3, 4, 5, 6, 7, 123456, tzinfo=UTC), "2025-03-04T05:06:07.123456Z"),
        (datetime(2025, 3, 4, 5, 6, 7, 1, tzinfo=UTC), "2025-03-04T05:06:07.000001Z"),
        (datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC), "2025-03-04T05:06:07.000000Z"),
        (datetime(2025, 3, 4, 5, 6, 7), "2025-03-04T05:06:07.000000Z"),
        (datetime(2025, 3, 4, 5, 6, 7, 250000), "2025-03-04T05:06:07.250000Z"),
        (datetime(1, 1, 1, tzinfo=UTC), "0001-01-01T00:00:00.000000Z"),
        (
            datetime(2025, 3, 4, 7, 6, 7, 5, tzinfo=timezone(timedelta(hours=2))),
            "2025-03-04T05:06:07.000005Z",
        ),
    ],
)
async def test_times_are_written_as_laravel_does(value: datetime, wire: str) -> None:
    assert format_datetime(value) == wire
