"""Mailer against a real aiosmtpd SMTP sink (plain, AUTH, STARTTLS, implicit TLS) and the
``.eml`` directory fallback. aiosmtplib is never mocked: the point is the wire conversation.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import ipaddress
import socket
import ssl
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiosmtplib
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tenantry.core.mail import (
    EmlDirectoryTransport,
    Mailer,
    OutgoingMail,
    SmtpTransport,
    build_message,
    open_mailer,
)
from tenantry.settings import load_settings

SENDER = "Tenantry <no-reply@tenantry.test>"
USER = "mailer@tenantry.test"
PASSWORD = "p@ss:w/rd%"  # every character that needs percent-encoding in a URL


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Sink:
    """aiosmtpd handler that keeps every envelope it is handed."""

    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted"

    def messages(self) -> list[EmailMessage]:
        parsed = []
        for envelope in self.envelopes:
            assert isinstance(envelope.content, bytes)
            message = email.message_from_bytes(envelope.content, policy=email.policy.default)
            assert isinstance(message, EmailMessage)
            parsed.append(message)
        return parsed


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# Deliberate in the plain-SMTP AUTH tests; aiosmtpd warns about it on every start.
allow_auth_without_tls = pytest.mark.filterwarnings(
    "ignore:Requiring AUTH while not requiring TLS:UserWarning"
)


def _authenticator(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == USER.encode()
        and auth_data.password == PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def sink_factory() -> Iterator[Any]:
    """Start aiosmtpd controllers on free loopback ports; stop them all afterwards."""
    controllers: list[Controller] = []

    def start(**options: Any) -> tuple[Sink, int]:
        sink = Sink()
        port = _free_port()
        controller = Controller(sink, hostname="127.0.0.1", port=port, **options)
        controller.start()
        controllers.append(controller)
        return sink, port

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture(scope="module")
def tls_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """(server context, client context trusting it) from a throwaway self-signed cert."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    directory = tmp_path_factory.mktemp("tls")
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert_path, key_path)
    client = ssl.create_default_context(cafile=str(cert_path))
    return server, client


def _mail(**overrides: Any) -> OutgoingMail:
    fields: dict[str, Any] = {
        "to": ["Alice Example <alice@example.test>", "bob@example.test"],
        "subject": "Welcome to Tenantry — café",
        "text": "Hello Alice,\nyour account is ready.\n",
        "html": "<p>Hello Alice,<br>your account is <b>ready</b>.</p>",
        "reply_to": "support@tenantry.test",
        "headers": {"X-Tenantry-Tenant": "42"},
    }
    fields.update(overrides)
    return OutgoingMail(**fields)


def _lf(text: str) -> str:
    return text.replace("\r\n", "\n")


def _assert_welcome(message: EmailMessage) -> None:
    assert message["From"] == SENDER
    assert message["To"] == "Alice Example <alice@example.test>, bob@example.test"
    assert message["Subject"] == "Welcome to Tenantry — café"
    assert message["Reply-To"] == "support@tenantry.test"
    assert message["X-Tenantry-Tenant"] == "42"
    assert message["Message-ID"].endswith("@tenantry.test>")
    assert message["Date"]
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    # On the wire lines end in CRLF; in an .eml file they end in LF.
    assert _lf(text.get_content()) == "Hello Alice,\nyour account is ready.\n"
    assert "<b>ready</b>" in html.get_content()


# --- SMTP ---------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_smtp_plain_delivers_envelope_and_content(sink_factory: Any) -> None:
    sink, port = sink_factory()
    mailer = open_mailer(load_settings(smtp_url=f"smtp://127.0.0.1:{port}", mail_from=SENDER))

    message_id = await mailer.send(_mail())

    assert len(sink.envelopes) == 1
    envelope = sink.envelopes[0]
    assert envelope.mail_from == "no-reply@tenantry.test"
    assert envelope.rcpt_tos == ["alice@example.test", "bob@example.test"]
    [message] = sink.messages()
    _assert_welcome(message)
    assert message["Message-ID"] == message_id


@pytest.mark.anyio
async def test_smtp_text_only_is_single_part(sink_factory: Any) -> None:
    sink, port = sink_factory()
    mailer = open_mailer(load_settings(smtp_url=f"smtp://127.0.0.1:{port}", mail_from=SENDER))

    await mailer.send(_mail(html=None, reply_to=None, headers={}))

    [message] = sink.messages()
    assert message.get_content_type() == "text/plain"
    assert message["Reply-To"] is None
    assert _lf(message.get_content()) == "Hello Alice,\nyour account is ready.\n"


@allow_auth_without_tls
@pytest.mark.anyio
async def test_smtp_auth_with_credentials_in_url(sink_factory: Any) -> None:
    sink, port = sink_factory(
        authenticator=_authenticator, auth_required=True, auth_require_tls=False
    )
    url = f"smtp://{quote(USER, safe='')}:{quote(PASSWORD, safe='')}@127.0.0.1:{port}"
    mailer = open_mailer(load_settings(smtp_url=url, mail_from=SENDER))

    await mailer.send(_mail())

    assert len(sink.envelopes) == 1
    assert PASSWORD not in repr(mailer)


@allow_auth_without_tls
@pytest.mark.anyio
async def test_smtp_auth_rejects_wrong_password(sink_factory: Any) -> None:
    sink, port = sink_factory(
        authenticator=_authenticator, auth_required=True, auth_require_tls=False
    )
    url = f"smtp://{quote(USER, safe='')}:wrong@127.0.0.1:{port}"
    mailer = open_mailer(load_settings(smtp_url=url, mail_from=SENDER))

    with pytest.raises(aiosmtplib.SMTPAuthenticationError):
        await mailer.send(_mail())
    assert sink.envelopes == []


@allow_auth_without_tls
@pytest.mark.anyio
async def test_smtp_auth_required_without_credentials_fails(sink_factory: Any) -> None:
    sink, port = sink_factory(
        authenticator=_authenticator, auth_required=True, auth_require_tls=False
    )
    mailer = open_mailer(load_settings(smtp_url=f"smtp://127.0.0.1:{port}", mail_from=SENDER))

    with pytest.raises(aiosmtplib.SMTPSenderRefused, match="Authentication required"):
        await mailer.send(_mail())
    assert sink.envelopes == []


@pytest.mark.anyio
async def test_smtp_starttls(
    sink_factory: Any, tls_pair: tuple[ssl.SSLContext, ssl.SSLContext]
) -> None:
    server_tls, client_tls = tls_pair
    sink, port = sink_factory(
        tls_context=server_tls,
        require_starttls=True,
        authenticator=_authenticator,
        auth_required=True,
    )
    url = f"smtp+starttls://{quote(USER, safe='')}:{quote(PASSWORD, safe='')}@127.0.0.1:{port}"
    mailer = open_mailer(load_settings(smtp_url=url, mail_from=SENDER), tls_context=client_tls)

    await mailer.send(_mail())

    [message] = sink.messages()
    _assert_welcome(message)


@pytest.mark.anyio
async def test_smtp_plain_scheme_never_upgrades(
    sink_factory: Any, tls_pair: tuple[ssl.SSLContext, ssl.SSLContext]
) -> None:
    """smtp:// means no TLS: against a server that insists on STARTTLS it must fail."""
    server_tls, client_tls = tls_pair
    sink, port = sink_factory(tls_context=server_tls, require_starttls=True)
    mailer = open_mailer(
        load_settings(smtp_url=f"smtp://127.0.0.1:{port}", mail_from=SENDER),
        tls_context=client_tls,
    )

    with pytest.raises(aiosmtplib.SMTPSenderRefused, match="STARTTLS"):
        await mailer.send(_mail())
    assert sink.envelopes == []


@pytest.mark.anyio
async def test_smtps_implicit_tls(
    sink_factory: Any, tls_pair: tuple[ssl.SSLContext, ssl.SSLContext]
) -> None:
    server_tls, client_tls = tls_pair
    sink, port = sink_factory(ssl_context=server_tls)
    mailer = open_mailer(
        load_settings(smtp_url=f"smtps://127.0.0.1:{port}", mail_from=SENDER),
        tls_context=client_tls,
    )

    await mailer.send(_mail())

    [message] = sink.messages()
    _assert_welcome(message)


@pytest.mark.anyio
async def test_smtps_rejects_untrusted_certificate(
    sink_factory: Any, tls_pair: tuple[ssl.SSLContext, ssl.SSLContext]
) -> None:
    server_tls, _ = tls_pair
    sink, port = sink_factory(ssl_context=server_tls)
    mailer = open_mailer(load_settings(smtp_url=f"smtps://127.0.0.1:{port}", mail_from=SENDER))

    with pytest.raises(aiosmtplib.SMTPConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        await mailer.send(_mail())
    assert sink.envelopes == []


@pytest.mark.parametrize(
    ("url", "port", "use_tls", "start_tls"),
    [
        ("smtp://mail.example.test", 25, False, False),
        ("smtp+starttls://mail.example.test", 587, False, True),
        ("smtps://mail.example.test", 465, True, False),
        ("SMTPS://u:p@mail.example.test:2465", 2465, True, False),
    ],
)
def test_smtp_url_schemes(url: str, port: int, use_tls: bool, start_tls: bool) -> None:
    transport = SmtpTransport(url)
    assert (transport.hostname, transport.port) == ("mail.example.test", port)
    assert (transport.use_tls, transport.start_tls) == (use_tls, start_tls)


@pytest.mark.parametrize(
    ("url", "match"),
    [
        ("http://mail.example.test", "unsupported SMTP URL scheme 'http'"),
        ("smtp+ssl://mail.example.test", "unsupported SMTP URL scheme"),
        ("mail.example.test:25", "unsupported SMTP URL scheme"),
        ("smtp://", "has no host"),
        ("smtp://mail.example.test:notaport", "invalid port"),
    ],
)
def test_bad_smtp_url_is_a_value_error(url: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        open_mailer(load_settings(smtp_url=url))


def test_bad_smtp_url_error_hides_password() -> None:
    with pytest.raises(ValueError) as info:
        open_mailer(load_settings(smtp_url="imap://user:hunter2@mail.example.test"))
    assert "hunter2" not in str(info.value)


def test_bad_mail_from_is_a_value_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="mail_from"):
        open_mailer(load_settings(data_dir=tmp_path, mail_from="not an address"))


# --- .eml files ---------------------------------------------------------------------------


@pytest.mark.anyio
async def test_eml_files_when_no_smtp_url(tmp_path: Path) -> None:
    mailer = open_mailer(load_settings(data_dir=tmp_path, smtp_url="", mail_from=SENDER))
    assert isinstance(mailer.transport, EmlDirectoryTransport)

    message_id = await mailer.send(_mail())
    await mailer.send(_mail(subject="Second"))

    mail_dir = tmp_path / "mail"
    files = sorted(mail_dir.iterdir())
    assert len(files) == 2, files
    assert all(path.suffix == ".eml" for path in files)
    assert not list(mail_dir.glob(".*")), "temporary files left behind"
    # Name: UTC timestamp, then a random suffix.
    stamp, _, suffix = files[0].stem.partition("-")
    dt.datetime.strptime(stamp, "%Y%m%dT%H%M%S.%fZ")
    assert len(suffix) == 8

    parsed = [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default) for path in files
    ]
    first = next(m for m in parsed if m["Message-ID"] == message_id)
    assert isinstance(first, EmailMessage)
    _assert_welcome(first)
    assert {m["Subject"] for m in parsed} == {"Welcome to Tenantry — café", "Second"}


# --- validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [
        {"subject": "Hi\nBcc: victim@example.test"},
        {"subject": "Hi\rthere"},
        {"to": ["alice@example.test\r\nBcc: victim@example.test"]},
        {"to": ["alice@example.test, mallory@example.test"]},
        {"to": ["not-an-address"]},
        {"to": []},
        {"to": "alice@example.test"},
        {"reply_to": "a@example.test\nX-Evil: 1"},
        {"headers": {"X-Note": "ok\r\nBcc: victim@example.test"}},
        {"headers": {"X-Bad Name": "1"}},
        {"headers": {"X-Bad:Name": "1"}},
        {"headers": {"Bcc": "victim@example.test"}},
        {"headers": {"content-type": "text/html"}},
    ],
)
@pytest.mark.anyio
async def test_header_injection_is_rejected(tmp_path: Path, overrides: dict[str, Any]) -> None:
    mailer = open_mailer(load_settings(data_dir=tmp_path, smtp_url="", mail_from=SENDER))

    with pytest.raises(ValueError):
        await mailer.send(_mail(**overrides))
    assert not (tmp_path / "mail").exists(), "nothing may be written for a rejected message"


def test_build_message_is_usable_without_a_transport() -> None:
    message = build_message(_mail(html=None), SENDER)
    assert message["To"] == "Alice Example <alice@example.test>, bob@example.test"
    assert message.get_content_type() == "text/plain"


def test_mailer_rejects_sender_with_newline() -> None:
    with pytest.raises(ValueError):
        Mailer(EmlDirectoryTransport(Path("unused")), "a@example.test\nBcc: b@example.test")
