"""Constants and types the test modules share (fixtures live in conftest.py)."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable

TEST_DATABASE_URL = os.environ.get("TENANTRY_TEST_DATABASE_URL", "")
ON_POSTGRES = TEST_DATABASE_URL.startswith("postgresql")
METRICS_TOKEN = "test-metrics-token-" + "m" * 24
"""What the tests' settings set as ``TENANTRY_METRICS_TOKEN``."""

TenantFactory = Callable[..., Awaitable[int]]
