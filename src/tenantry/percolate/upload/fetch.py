"""A ``type: url`` upload's bytes, fetched by the server as carefully as a webhook is sent.

Every hop (the URL and each redirect) passes the SSRF guard and is connected to the address
the guard approved; the body streams into storage and is cut at :data:`MAX_URL_BYTES`, and
the whole fetch at :data:`FETCH_TIMEOUT`. A refused fetch leaves nothing stored.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import urljoin

import anyio
import httpx

from tenantry.core.storage import Storage
from tenantry.core.webhooks.destinations import (
    DestinationRefused,
    DestinationUnresolved,
    resolve_destination,
)
from tenantry.core.webhooks.transport import PinnedTransport

MAX_URL_BYTES = 1024**3
FETCH_TIMEOUT = 300.0
MAX_REDIRECTS = 5


class FetchFailed(Exception):
    """The URL could not be fetched; the message is shown in the upload's ``error``."""


async def _capped(response: httpx.Response, cap: int) -> AsyncIterator[bytes]:
    received = 0
    async for chunk in response.aiter_bytes():
        received += len(chunk)
        if received > cap:
            raise FetchFailed(f"The file is larger than {cap} bytes.")
        yield chunk


async def fetch_into(
    url: str,
    storage: Storage,
    key: str,
    *,
    allow_private: bool,
    cap: int = MAX_URL_BYTES,
    time_limit: float = FETCH_TIMEOUT,
) -> str | None:
    """Store the body of ``url`` under ``key``; the response's content type."""
    try:
        with anyio.fail_after(time_limit):
            for _ in range(MAX_REDIRECTS + 1):
                destination = await resolve_destination(url, allow_private=allow_private)
                transport = PinnedTransport(destination.addresses)
                async with (
                    httpx.AsyncClient(transport=transport, timeout=30.0) as client,
                    client.stream("GET", url) as response,
                ):
                    if response.is_redirect and "location" in response.headers:
                        url = urljoin(url, response.headers["location"])
                        continue
                    if response.status_code != 200:
                        raise FetchFailed(f"The URL answered {response.status_code}.")
                    length = response.headers.get("content-length", "")
                    if length.isdigit() and int(length) > cap:
                        raise FetchFailed(f"The file is larger than {cap} bytes.")
                    content_type = response.headers.get("content-type", "").split(";")[0]
                    await storage.put(key, _capped(response, cap))
                    return content_type.strip() or None
            raise FetchFailed("Too many redirects.")
    except TimeoutError:
        raise FetchFailed(f"The fetch took longer than {time_limit:g} seconds.") from None
    except (DestinationRefused, DestinationUnresolved) as error:
        raise FetchFailed(f"The URL cannot be fetched: {error}") from None
    except httpx.HTTPError as error:
        raise FetchFailed(f"The URL cannot be fetched: {type(error).__name__}") from None
