"""v3 media ids: ``license:<l>:image:<n>`` for images, ``video:<n>`` for every other asset,
``folder:<n>``; ``asset:<n>`` is accepted too. All name the same keys as v5's ``asset:<n>``
and ``folder:<n>`` (one key space), so translating is only a matter of the prefix."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tenantry.percolate.api.ids import invalid

MEDIA_PATTERN = r"^(video:\d{1,18}|asset:\d{1,18}|license:\d{1,18}:image:\d{1,18}|folder:\d{1,18})$"
_MEDIA = re.compile(MEDIA_PATTERN)


@dataclass(frozen=True)
class MediaRef:
    kind: str
    """``asset`` or ``folder``."""
    key: int


def parse_uid(value: object, key: str) -> MediaRef:
    if isinstance(value, str) and _MEDIA.match(value):
        number = int(value.rsplit(":", 1)[1])
        return MediaRef("folder" if value.startswith("folder:") else "asset", number)
    raise invalid(key, "Expected a media uid: video:12, license:1:image:3 or folder:4.", value)


def asset_uid(asset_type: str, scope_id: int, key: int) -> str:
    return f"license:{scope_id}:image:{key}" if asset_type == "image" else f"video:{key}"
