"""Constants and types the test modules share (fixtures live in conftest.py)."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable

TEST_DATABASE_URL = os.environ.get("TENANTRY_TEST_DATABASE_URL", "")
ON_POSTGRES = TEST_DATABASE_URL.startswith("postgresql")

TenantFactory = Callable[..., Awaitable[int]]
