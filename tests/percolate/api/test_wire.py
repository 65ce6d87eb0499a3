"""The wire's timestamps: second precision, always in UTC, whatever the moment's zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from tenantry.percolate.api.wire import timestamp

MOMENTS = [
    datetime(2016, 2, 25, 15, 2, 52, tzinfo=UTC),
    datetime(2016, 2, 25, 15, 2, 52, 999_999, tzinfo=UTC),
    datetime(5, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
    datetime(2016, 2, 25, 17, 2, 52, 120, tzinfo=timezone(timedelta(hours=2))),
    datetime(2016, 2, 25, 15, 2, 52, tzinfo=timezone(timedelta(0))),
    datetime(2016, 7, 1, 11, 2, 52, tzinfo=ZoneInfo("America/New_York")),
    datetime(2016, 2, 25, 15, 2, 52, tzinfo=ZoneInfo("UTC")),
]


@pytest.mark.parametrize("moment", MOMENTS, ids=str)
def test_a_timestamp_is_the_utc_isoformat_to_the_second(moment: datetime) -> None:
    expected = moment.astimezone(UTC).isoformat(timespec="seconds")
    assert timestamp(moment) == expected
    assert expected.endswith("+00:00") and "." not in expected


def test_no_moment_is_null() -> None:
    assert timestamp(None) is None
