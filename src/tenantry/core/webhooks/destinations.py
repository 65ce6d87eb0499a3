"""Where webhooks may be sent: the SSRF guard.

A tenant chooses the URL, and the server makes the request from inside the operator's
network, so a URL could reach the database, the admin port of a neighbour, or the cloud
metadata service that hands out the machine's credentials. The rules:

- ``http`` or ``https`` only, with a host and no credentials in the URL;
- every address the host resolves to must be public: loopback, link-local, private,
  unspecified, multicast and reserved addresses (also when embedded in IPv6 forms such as
  ``::ffff:127.0.0.1`` or NAT64) are refused unless the operator allows private
  destinations (``TENANTRY_ALLOW_PRIVATE_WEBHOOKS=1``, for demos and tests);
- cloud metadata endpoints are refused always, by address and by name.

The check runs when a URL is registered (:func:`check_destination`, a 400 keyed ``url``)
and again before every attempt (:func:`resolve_destination`): a name that resolved to a
public address at registration may resolve to 127.0.0.1 by delivery time (DNS rebinding).
The delivery then connects to the addresses this check approved, never resolving again.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import anyio

from tenantry.core.errors import FieldError, ValidationFailed

__all__ = [
    "ALWAYS_REFUSED_ADDRESSES",
    "ALWAYS_REFUSED_HOSTS",
    "Destination",
    "DestinationRefused",
    "DestinationUnresolved",
    "IPAddress",
    "check_destination",
    "refusal_reason",
    "resolve_destination",
    "resolve_host",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

ALWAYS_REFUSED_ADDRESSES: frozenset[IPAddress] = frozenset(
    ipaddress.ip_address(address)
    for address in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean instance metadata
        "169.254.170.2",  # AWS ECS task metadata and credentials
        "fd00:ec2::254",  # AWS instance metadata over IPv6
        "100.100.100.200",  # Alibaba Cloud metadata
        "192.0.0.192",  # Oracle Cloud metadata
        "168.63.129.16",  # Azure WireServer (host agent, DNS, health probes)
    )
)
ALWAYS_REFUSED_HOSTS = frozenset({"metadata.google.internal", "metadata.goog", "metadata"})
MAX_URL_LENGTH = 2048
RESOLVE_TIMEOUT_SECONDS = 5.0
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


class DestinationRefused(Exception):
    """The URL may not be delivered to (a policy decision: retrying will not help)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class DestinationUnresolved(Exception):
    """The host did not resolve (perhaps for now: a delivery retries)."""


@dataclass(frozen=True, slots=True)
class Destination:
    """A checked URL and the addresses a delivery may connect to, in resolver order."""

    url: str
    host: str
    port: int
    addresses: tuple[IPAddress, ...]


def refusal_reason(address: IPAddress, *, allow_private: bool) -> str | None:
    """Why a delivery may not connect to ``address``, or None if it may."""
    embedded = _embedded_ipv4(address)
    candidates = [address] if embedded is None else [address, embedded]
    if any(candidate in ALWAYS_REFUSED_ADDRESSES for candidate in candidates):
        return f"{address} is a cloud metadata address"
    if allow_private:
        return None
    if embedded is not None and _is_translation(address):
        # ::ffff:a.b.c.d and NAT64 forms sit in ::/8, "reserved": judge the IPv4 they reach.
        candidates = [embedded]
    for candidate in candidates:
        for flag, word in (
            ("is_loopback", "a loopback"),
            ("is_link_local", "a link-local"),
            ("is_unspecified", "an unspecified"),
            ("is_multicast", "a multicast"),
            ("is_private", "a private"),
            ("is_reserved", "a reserved"),
        ):
            if getattr(candidate, flag):
                return f"{address} is {word} address"
        if not candidate.is_global:
            return f"{address} is not a public address"
    return None


def _is_translation(address: IPAddress) -> bool:
    return isinstance(address, ipaddress.IPv6Address) and (
        address.ipv4_mapped is not None or address in _NAT64 or address in _IPV4_COMPATIBLE
    )


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address leads to, where one does."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64 or (address in _IPV4_COMPATIBLE and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


async def resolve_host(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to (``getaddrinfo`` in a worker thread)."""
    loop = asyncio.get_running_loop()
    try:
        with anyio.fail_after(RESOLVE_TIMEOUT_SECONDS):
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except TimeoutError:
        raise DestinationUnresolved(f"resolving {host} timed out") from None
    except (OSError, UnicodeError) as exc:
        raise DestinationUnresolved(f"{host} does not resolve ({exc})") from None
    addresses: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise DestinationUnresolved(f"{host} has no address")
    return addresses


async def resolve_destination(url: str, *, allow_private: bool) -> Destination:
    """Check ``url`` and resolve its host; raises :class:`DestinationRefused` or
    :class:`DestinationUnresolved`."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL_LENGTH:
        raise DestinationRefused(f"must be a URL of at most {MAX_URL_LENGTH} characters")
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        raise DestinationRefused("must not contain whitespace or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise DestinationRefused(f"is not a valid URL ({exc})") from None
    if parts.scheme not in {"http", "https"}:
        raise DestinationRefused("must be an http or https URL")
    if parts.username is not None or parts.password is not None:
        raise DestinationRefused("must not carry credentials")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise DestinationRefused("must name a host")
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise DestinationRefused("has an invalid host name") from None
    if ascii_host in ALWAYS_REFUSED_HOSTS:
        raise DestinationRefused(f"{host} is a cloud metadata host")
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = [ipaddress.ip_address(ascii_host)]
    except ValueError:
        addresses = await resolve_host(ascii_host, port)
    for address in addresses:
        reason = refusal_reason(address, allow_private=allow_private)
        if reason is not None:
            if str(address) != ascii_host:
                reason = f"{host} resolves to {reason}"
            raise DestinationRefused(reason)
    return Destination(url=url, host=ascii_host, port=port, addresses=tuple(addresses))


async def check_destination(url: str, allow_private: bool) -> Destination:
    """The registration-time check: a refused or unresolvable URL is a ``ValidationFailed``
    whose error is keyed ``url`` (Percolate renders it as a 400 with ``key: "$.url"``)."""
    try:
        return await resolve_destination(url, allow_private=allow_private)
    except (DestinationRefused, DestinationUnresolved) as exc:
        raise ValidationFailed(
            message="The webhook URL cannot be used.",
            errors=[
                FieldError(
                    key="url",
                    message=str(exc),
                    value=url if isinstance(url, str) and len(url) <= 200 else None,
                )
            ],
        ) from None
