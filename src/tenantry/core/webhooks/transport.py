"""An httpx transport that connects only to addresses the SSRF guard approved.

The request keeps its URL, so the ``Host`` header, TLS server name and certificate check all
use the real host name; only the TCP connection goes to the pinned address. Nothing resolves
the name again between the check and the connection, which is what defeats DNS rebinding.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterable, Sequence

import httpcore
import httpx

from tenantry.core.webhooks.destinations import IPAddress

__all__ = ["PinnedBackend", "PinnedTransport"]


class PinnedBackend(httpcore.AsyncNetworkBackend):
    """Opens TCP connections to the given addresses (in order) whatever host is asked for."""

    def __init__(self, addresses: Sequence[IPAddress]) -> None:
        if not addresses:
            raise ValueError("a pinned backend needs at least one address")
        self.addresses = tuple(addresses)
        self.connected_to: IPAddress | None = None
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        options = list(socket_options) if socket_options is not None else None
        failure: Exception | None = None
        for address in self.addresses:
            try:
                stream = await self._inner.connect_tcp(
                    str(address), port, timeout, local_address, options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
                continue
            self.connected_to = address
            return stream
        assert failure is not None
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("webhook deliveries never use unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class PinnedTransport(httpx.AsyncHTTPTransport):
    """``httpx.AsyncHTTPTransport`` whose connection pool dials :class:`PinnedBackend`.

    No proxy from the environment: a proxy would resolve the name itself.
    """

    def __init__(
        self, addresses: Sequence[IPAddress], *, verify: ssl.SSLContext | bool = True
    ) -> None:
        super().__init__(verify=verify, trust_env=False)
        self.backend = PinnedBackend(addresses)
        context = verify if isinstance(verify, ssl.SSLContext) else None
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=context or httpx.create_ssl_context(verify=verify, trust_env=False),
            max_connections=1,
            http1=True,
            http2=False,
            network_backend=self.backend,
        )
