"""The download link mailed for a finished export: signed over the file's storage key
(which names the account and the export), expiring after :data:`LINK_SECONDS`.

The link needs no bearer token (it is clicked from a mail client); the signature is the
credential, as with S3's presigned GETs. Pointing it at another account changes the key it
must be signed for, so a link never opens another account's file.
"""

from __future__ import annotations

from typing import Final
from urllib.parse import urlencode

from tenantry.core.storage.policy import sign_get

LINK_SECONDS: Final = 7 * 24 * 3600
FILE_PATH: Final = "/api/v5/export/{export_id}/file"


def storage_key(tenant_id: int, export_id: int) -> str:
    """Fixed per export, so a restarted job overwrites the one file."""
    return f"percolate/exports/{tenant_id}/{export_id}.csv"


def download_url(
    base_url: str,
    secret: str,
    tenant_id: int,
    export_id: int,
    *,
    expires_in: int = LINK_SECONDS,
    now: float | None = None,
) -> str:
    signed = sign_get(storage_key(tenant_id, export_id), expires_in, secret=secret, now=now)
    query = urlencode({"account": f"account:{tenant_id}", **signed})
    path = FILE_PATH.format(export_id=f"export:{export_id}")
    return f"{base_url.rstrip('/')}{path}?{query}"
