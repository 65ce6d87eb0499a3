"""Outgoing mail: SMTP through aiosmtplib, or ``.eml`` files in the data dir.

The embedded default (``TENANTRY_SMTP_URL`` empty) writes every message to
``<data_dir>/mail/`` so a developer can open what would have been sent without running a
mail server. Set ``TENANTRY_SMTP_URL`` to deliver for real:

- ``smtp://[user:pass@]host[:25]`` — plain SMTP, no TLS (local relays, test sinks);
- ``smtp+starttls://[user:pass@]host[:587]`` — STARTTLS required, never silently plain;
- ``smtps://[user:pass@]host[:465]`` — implicit TLS.

User and password are percent-decoded, so ``p%40ss`` means ``p@ss``.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import ssl
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, make_msgid, parseaddr
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from urllib.parse import unquote, urlsplit

import aiosmtplib

from tenantry.settings import mask_url

if TYPE_CHECKING:
    from tenantry.settings import Settings

__all__ = [
    "EmlDirectoryTransport",
    "MailTransport",
    "Mailer",
    "OutgoingMail",
    "SmtpTransport",
    "build_message",
    "open_mailer",
]

# Headers the builder owns; letting callers set them would allow spoofing or a broken MIME tree.
_RESERVED_HEADERS = frozenset(
    name.lower()
    for name in (
        "From",
        "Sender",
        "To",
        "Cc",
        "Bcc",
        "Subject",
        "Reply-To",
        "Date",
        "Message-ID",
        "MIME-Version",
        "Content-Type",
        "Content-Transfer-Encoding",
    )
)
_FORBIDDEN_CHARS = ("\r", "\n", "\0")

_SMTP_SCHEMES: dict[str, tuple[int, bool, bool]] = {
    # scheme: (default port, use_tls (implicit), start_tls (required))
    "smtp": (25, False, False),
    "smtp+starttls": (587, False, True),
    "smtps": (465, True, False),
}


@dataclass(frozen=True, slots=True)
class OutgoingMail:
    """One message to send; the sender comes from settings, not from the caller."""

    to: list[str]
    subject: str
    text: str
    html: str | None = None
    reply_to: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


def _check_line(what: str, value: str) -> None:
    """Reject CR/LF/NUL: in a header they would start a new header (header injection)."""
    if any(char in value for char in _FORBIDDEN_CHARS):
        raise ValueError(f"{what} must not contain line breaks or NUL characters")


def check_address(what: str, value: str) -> str:
    """Validate one address (``a@b`` or ``Name <a@b>``); return its bare ``addr-spec``."""
    _check_line(what, value)
    parsed = getaddresses([value])
    if len(parsed) != 1 or "@" not in parsed[0][1]:
        raise ValueError(f"{what} must be exactly one e-mail address (got {value!r})")
    return parsed[0][1]


def _check_header_name(name: str) -> None:
    """RFC 5322 field names are printable ASCII without ``:`` or spaces."""
    if not name or not all(33 <= ord(char) <= 126 and char != ":" for char in name):
        raise ValueError(f"invalid header name {name!r}")
    if name.lower() in _RESERVED_HEADERS:
        raise ValueError(f"header {name!r} is set by the mailer and cannot be overridden")


def build_message(mail: OutgoingMail, sender: str) -> EmailMessage:
    """Validate ``mail`` and build the MIME message (multipart/alternative when HTML is given).

    Raises ``ValueError`` for anything that could inject headers or address nobody.
    """
    if isinstance(mail.to, str):
        raise ValueError("to must be a list of addresses, not a single string")
    if not mail.to:
        raise ValueError("a message needs at least one recipient")
    sender_addr = check_address("sender", sender)
    for address in mail.to:
        check_address("recipient", address)
    if mail.reply_to is not None:
        check_address("reply_to", mail.reply_to)
    _check_line("subject", mail.subject)
    for name, value in mail.headers.items():
        _check_header_name(name)
        _check_line(f"header {name!r}", value)

    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(mail.to)
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(datetime.now(UTC))
    # An explicit domain: make_msgid() would otherwise call socket.getfqdn(), a DNS lookup.
    message["Message-ID"] = make_msgid(domain=sender_addr.rpartition("@")[2])
    if mail.reply_to is not None:
        message["Reply-To"] = mail.reply_to
    for name, value in mail.headers.items():
        message[name] = value
    message.set_content(mail.text)
    if mail.html is not None:
        message.add_alternative(mail.html, subtype="html")
    return message


class MailTransport(Protocol):
    """Where built messages go; ``Mailer`` does validation and MIME, transports only deliver."""

    async def deliver(self, message: EmailMessage, sender: str, recipients: Sequence[str]) -> None:
        """Hand ``message`` over for delivery to ``recipients`` (bare addresses)."""
        ...


class SmtpTransport:
    """Deliver over SMTP with aiosmtplib, one connection per message.

    A connection per message keeps no idle sockets and no shared state between tasks; mail
    is sent from background jobs at low volume, so the extra handshake does not matter.
    """

    def __init__(self, url: str, *, tls_context: ssl.SSLContext | None = None) -> None:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in _SMTP_SCHEMES:
            raise ValueError(
                f"unsupported SMTP URL scheme {parts.scheme!r} in {mask_url(url)!r}; "
                "use smtp://, smtp+starttls:// or smtps://"
            )
        if not parts.hostname:
            raise ValueError(f"SMTP URL {mask_url(url)!r} has no host")
        default_port, use_tls, start_tls = _SMTP_SCHEMES[scheme]
        try:
            port = parts.port
        except ValueError as exc:
            raise ValueError(f"SMTP URL {mask_url(url)!r} has an invalid port") from exc
        self._display = mask_url(url)
        self.hostname: str = parts.hostname
        self.port: int = port or default_port
        self.use_tls = use_tls
        self.start_tls = start_tls
        self._username = unquote(parts.username) if parts.username else None
        self._password = unquote(parts.password) if parts.password is not None else None
        self._tls_context = tls_context

    def __repr__(self) -> str:
        return f"SmtpTransport({self._display!r})"

    async def probe(self, seconds: float = 10) -> None:
        """Connect, say hello (with TLS and sign-in as configured), ``NOOP``, quit; send nothing.

        ``tenantry check`` uses it; aiosmtplib errors (and ``OSError``) propagate.
        """
        client = aiosmtplib.SMTP(
            hostname=self.hostname,
            port=self.port,
            use_tls=self.use_tls,
            start_tls=self.start_tls,
            tls_context=self._tls_context,
            timeout=seconds,
        )
        async with client:
            if self._username is not None:
                await client.login(self._username, self._password or "")
            await client.noop()

    async def deliver(self, message: EmailMessage, sender: str, recipients: Sequence[str]) -> None:
        """Send one message; aiosmtplib errors (``SMTPException``) propagate for the job retry."""
        await aiosmtplib.send(
            message,
            sender=sender,
            recipients=list(recipients),
            hostname=self.hostname,
            port=self.port,
            username=self._username,
            password=self._password,
            use_tls=self.use_tls,
            # False, not None: None would mean "opportunistic", which smtp:// promises not to do.
            start_tls=self.start_tls,
            tls_context=self._tls_context,
            timeout=30,
        )


class EmlDirectoryTransport:
    """Write each message to ``<directory>/<UTC timestamp>-<random>.eml`` instead of sending it.

    Files are written to a temporary name and renamed, so a reader never sees half a message.
    They are mode 0600: mail carries password-reset links and invitations.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def __repr__(self) -> str:
        return f"EmlDirectoryTransport({str(self.directory)!r})"

    async def deliver(self, message: EmailMessage, sender: str, recipients: Sequence[str]) -> None:
        """Write the file in a worker thread so the event loop never waits on the disk."""
        await asyncio.to_thread(self.write, message)

    def write(self, message: EmailMessage) -> Path:
        """Write ``message`` atomically and return the final path."""
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        final = self.directory / f"{stamp}-{secrets.token_hex(4)}.eml"
        fd, temp_name = tempfile.mkstemp(dir=self.directory, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(message.as_bytes())
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp_name, final)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise
        return final


class Mailer:
    """Builds messages from ``OutgoingMail`` and hands them to one transport."""

    def __init__(self, transport: MailTransport, sender: str) -> None:
        self._sender_addr = check_address("mail_from", sender)
        self.transport = transport
        self.sender = sender

    def __repr__(self) -> str:
        return f"Mailer({self.transport!r}, sender={self.sender!r})"

    async def send(self, message: OutgoingMail) -> str:
        """Validate, build and deliver ``message``; return its ``Message-ID``."""
        built = build_message(message, self.sender)
        recipients = [parseaddr(address)[1] for address in message.to]
        await self.transport.deliver(built, self._sender_addr, recipients)
        return str(built["Message-ID"])


def open_mailer(settings: Settings, *, tls_context: ssl.SSLContext | None = None) -> Mailer:
    """The mailer the settings ask for: SMTP when ``smtp_url`` is set, else ``.eml`` files.

    ``tls_context`` overrides certificate checks (a private CA); the default trusts the system.
    """
    transport: MailTransport
    if settings.smtp_url:
        transport = SmtpTransport(settings.smtp_url, tls_context=tls_context)
    else:
        transport = EmlDirectoryTransport(settings.data_dir.resolve() / "mail")
    return Mailer(transport, settings.mail_from)
