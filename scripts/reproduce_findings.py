"""Replay the hardening audit's findings F4-F9 against a running ``tenantry serve``.

The audit found them at d997eea; the tests of ``tests/security/`` cannot run there, so each
finding is reproduced over HTTP only, with the demo tenant's credentials, the way a client
would. Against the audited build every line should read "reproduced"; against a fixed build,
"not reproduced" with the refusal that stopped it.

    python scripts/reproduce_findings.py http://127.0.0.1:8000 SECRETS [--mail-dir DIR] [--cli EXE]

``SECRETS`` is the first start's log (d997eea printed the demo's secrets there) or the
``demo-credentials.txt`` a ``serve --demo`` writes. ``--mail-dir`` is the server's
``<data dir>/mail`` (the ``.eml`` files of a server without SMTP), needed to follow a
password-reset link (F5). F6 runs last: it spends the loopback's sign-in, password-reset and
PERSCOM per-address budgets, so restart the server before running the script again.
``--cli`` is the same build's ``tenantry`` executable, run with this process's environment
(so the server's ``TENANTRY_DATA_DIR`` / ``TENANTRY_DATABASE_URL``), for the key lifetime.
Dependencies: the standard library and httpx.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import email
import hashlib
import json
import re
import secrets
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
SESSION_COOKIE = "tenantry_session"
TOKEN_PATH = "/auth/v5/token/"


@dataclass
class Demo:
    """What the demo tenant's first start handed out."""

    tenant_id: int
    email: str
    password: str
    perscom_key: str
    client_id: str
    client_secret: str
    redirect_uri: str

    @property
    def perscom(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.perscom_key}", "X-Perscom-Id": str(self.tenant_id)}

    @property
    def client_basic(self) -> dict[str, str]:
        pair = f"{self.client_id}:{self.client_secret}".encode()
        return {"Authorization": "Basic " + base64.b64encode(pair).decode()}


def read_demo(path: Path) -> Demo:
    """Parse the demo's lines, from the old start-up log or the new credentials file."""
    text = path.read_text(errors="replace")

    def find(pattern: str) -> re.Match[str]:
        match = re.search(pattern, text, re.MULTILINE)
        if match is None:
            sys.exit(f"{path}: no line matching {pattern!r}")
        return match

    sign_in = find(r"sign in as (\S+) / (\S+)")
    perscom = find(r'Authorization: Bearer ([^"]+)" -H "X-Perscom-Id: (\d+)"')
    client = find(r"OAuth client (\S+) \(secret (\S+)\),\s*redirect (\S+?):?\s*$")
    return Demo(
        tenant_id=int(perscom.group(2)),
        email=sign_in.group(1),
        password=sign_in.group(2),
        perscom_key=perscom.group(1),
        client_id=client.group(1),
        client_secret=client.group(2),
        redirect_uri=client.group(3),
    )


class Failed(Exception):
    """A step the reproduction needs did not go as a client expects (not a verdict)."""


@dataclass
class Outcome:
    reproduced: bool
    detail: str


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    if match is None:
        raise Failed("the page has no CSRF field")
    return match.group(1)


def browser(base: str) -> httpx.Client:
    return httpx.Client(base_url=base, follow_redirects=False, timeout=60)


def sign_in(http: httpx.Client, demo: Demo, next_path: str = "/settings") -> None:
    """The web sign-in form as a person fills it (the demo admin has no second factor)."""
    page = http.get("/login", params={"next": next_path, "account": demo.tenant_id})
    if page.status_code != 200:
        raise Failed(f"GET /login answered {page.status_code}")
    done = http.post(
        "/login",
        data={
            "csrf_token": csrf_of(page.text),
            "account": str(demo.tenant_id),
            "email": demo.email,
            "password": demo.password,
            "next": next_path,
        },
    )
    if done.status_code != 303 or done.headers["location"].startswith("/login"):
        raise Failed(f"sign-in answered {done.status_code} {done.headers.get('location', '')}")


def signed_in(base: str, cookie: str) -> bool:
    """Whether a browser holding only a copy of ``cookie`` reaches the settings page."""
    with browser(base) as thief:
        thief.cookies.set(SESSION_COOKIE, cookie)
        return thief.get("/settings").status_code == 200


def authorization_code(http: httpx.Client, demo: Demo, **extra: str) -> str:
    """Percolate's authorization page: sign in, allow, read the code off the redirect."""
    url = "/auth/oauth2?" + urlencode(
        {"response_type": "code", "client_id": demo.client_id, "state": "repro", **extra}
    )
    first = http.get(url)
    if first.status_code in (302, 303) and first.headers["location"].startswith("/login"):
        sign_in(http, demo, next_path=url)
        first = http.get(url)
    if first.status_code != 200:
        raise Failed(f"authorization page answered {first.status_code}: {first.text[:200]}")
    answer = http.post(url, data={"csrf_token": csrf_of(first.text), "decision": "allow"})
    location: str = answer.headers.get("location", "")
    codes: list[str] = parse_qs(urlsplit(location).query).get("code") or []
    if answer.status_code != 302 or not codes:
        raise Failed(f"consent answered {answer.status_code} {location[:200]}")
    return codes[0]


def redeem(http: httpx.Client, demo: Demo, code: str, **extra: str) -> httpx.Response:
    body = {"grant_type": "authorization_code", "code": code, **extra}
    return http.post(TOKEN_PATH, data=body, headers=demo.client_basic)


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


_FRESH: dict[str, dict[str, str]] = {}


def percolate_headers(base: str, demo: Demo) -> dict[str, str]:
    """A new Percolate token through the OAuth pages (a password reset revokes the demo's)."""
    if base not in _FRESH:
        verifier, challenge = pkce_pair()
        with browser(base) as http:
            code = authorization_code(
                http, demo, code_challenge=challenge, code_challenge_method="S256"
            )
            issued = redeem(http, demo, code, code_verifier=verifier)
        if issued.status_code != 200 or "access_token" not in issued.json():
            raise Failed(f"the code exchange answered {issued.status_code}: {issued.text[:200]}")
        _FRESH[base] = {"Authorization": f"Bearer {issued.json()['access_token']}"}
    return _FRESH[base]


# -- F4: PKCE ---------------------------------------------------------------------------


def f4_pkce(base: str, demo: Demo, mail_dir: Path | None) -> Outcome:
    verifier, challenge = pkce_pair()
    pkce = {"code_challenge": challenge, "code_challenge_method": "S256"}
    with browser(base) as http:
        code = authorization_code(http, demo, **pkce)
        missing = redeem(http, demo, code)
        if missing.status_code == 200 and "access_token" in missing.json():
            return Outcome(
                True,
                "code asked with code_challenge=S256 redeemed without a verifier: 200 and a token",
            )
        control = redeem(http, demo, authorization_code(http, demo, **pkce), code_verifier=verifier)
    return Outcome(
        False,
        f"without the verifier {missing.status_code} {missing.text[:80]}; "
        f"with the right verifier {control.status_code}",
    )


# -- F5: web sessions -------------------------------------------------------------------


def _mail_texts(mail_dir: Path, seen: set[Path]) -> list[tuple[Path, str]]:
    found = []
    for path in sorted(mail_dir.glob("*.eml")):
        if path in seen:
            continue
        message: Message = email.message_from_bytes(path.read_bytes())
        parts = message.walk() if message.is_multipart() else [message]
        for part in parts:
            if part.get_content_type() == "text/plain":
                payload = part.get_payload(decode=True)
                if isinstance(payload, bytes):
                    found.append((path, payload.decode(errors="replace")))
    return found


def _reset_link(base: str, demo: Demo, mail_dir: Path) -> str:
    """Ask Percolate for a reset mail (as anyone may) and wait for its link on disk."""
    seen = set(mail_dir.glob("*.eml")) if mail_dir.exists() else set()
    with browser(base) as http:
        asked = http.delete(
            "/api/v5/user/password",
            params={"email": demo.email, "account_id": f"account:{demo.tenant_id}"},
        )
    if asked.status_code != 204:
        raise Failed(f"password-reset request answered {asked.status_code}: {asked.text[:200]}")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if mail_dir.exists():
            for _path, text in _mail_texts(mail_dir, seen):
                link = re.search(r"https?://\S+/reset-password\?\S+", text)
                if link is not None:
                    return link.group(0)
        time.sleep(0.5)
    raise Failed(f"no reset mail appeared in {mail_dir}")


def _reset_password(base: str, demo: Demo, mail_dir: Path) -> None:
    """Follow the mailed link and set the password (to the one the demo had, for reruns)."""
    link = urlsplit(_reset_link(base, demo, mail_dir))
    with browser(base) as http:
        form = http.get(f"{link.path}?{link.query}")
        token = re.search(r'name="token" value="([^"]+)"', form.text)
        if form.status_code != 200 or token is None:
            raise Failed(f"reset form answered {form.status_code}")
        done = http.post(
            link.path,
            data={
                "csrf_token": csrf_of(form.text),
                "token": token.group(1),
                "password": demo.password,
                "confirm": demo.password,
            },
        )
    if done.status_code != 200:
        raise Failed(f"setting the password answered {done.status_code}: {done.text[:200]}")


def f5_sessions(base: str, demo: Demo, mail_dir: Path | None) -> Outcome:
    findings = []
    with browser(base) as http:
        sign_in(http, demo)
        copy = http.cookies[SESSION_COOKIE]
        if not signed_in(base, copy):
            raise Failed("a fresh copy of the cookie does not reach /settings")
        settings_page = http.get("/settings")
        http.post("/logout", data={"csrf_token": csrf_of(settings_page.text)})
        after_sign_out = signed_in(base, copy)
    findings.append(
        f"after sign-out the copied cookie {'still' if after_sign_out else 'no longer'} works"
    )
    after_reset = False
    if mail_dir is None:
        findings.append("password reset not tried (no --mail-dir)")
    else:
        with browser(base) as http:
            sign_in(http, demo)
            copy = http.cookies[SESSION_COOKIE]
        if not signed_in(base, copy):
            raise Failed("a fresh copy of the cookie does not reach /settings")
        _reset_password(base, demo, mail_dir)
        after_reset = signed_in(base, copy)
        findings.append(
            f"after a password reset it {'still' if after_reset else 'no longer'} works"
        )
    return Outcome(after_sign_out or after_reset, "; ".join(findings))


# -- F6: X-Forwarded-For ----------------------------------------------------------------


def _spoofed(number: int) -> dict[str, str]:
    return {"X-Forwarded-For": f"203.0.113.{number % 250 + 1}"}


FIXED = {"X-Forwarded-For": "198.51.100.7"}


def _until_limited(attempt: Callable[[int, dict[str, str]], int], tries: int, spoof: bool) -> int:
    """How many attempts passed before the first 429 (``tries`` when none came)."""
    for number in range(tries):
        if attempt(number, _spoofed(number) if spoof else dict(FIXED)) == 429:
            return number
    return tries


def f6_forwarded_for(base: str, demo: Demo, mail_dir: Path | None) -> Outcome:
    with browser(base) as http:

        def perscom(number: int, headers: dict[str, str]) -> int:
            headers["X-Perscom-Id"] = str(demo.tenant_id)
            return http.get("/v1/users", headers=headers).status_code

        def reset(number: int, headers: dict[str, str]) -> int:
            params = {"email": f"nobody-{uuid.uuid4().hex[:8]}@example.org"}
            return http.delete("/api/v5/user/password", params=params, headers=headers).status_code

        login = http.get("/login", params={"account": demo.tenant_id})
        token = csrf_of(login.text)

        def signin(number: int, headers: dict[str, str]) -> int:
            form = {
                "csrf_token": token,
                "account": str(demo.tenant_id),
                "email": f"nobody-{uuid.uuid4().hex[:8]}@example.org",
                "password": "not the password",
                "next": "/settings",
            }
            return http.post("/login", data=form, headers=headers).status_code

        bypassed, lines = [], []
        for name, attempt, tries in (
            ("PERSCOM per-address (unauthenticated, 100/min)", perscom, 110),
            ("password reset per client (30/h)", reset, 40),
            ("web sign-in per address (100/15 min)", signin, 110),
        ):
            spoofed = _until_limited(attempt, tries, spoof=True)
            if spoofed < tries:
                lines.append(f"{name}: 429 after {spoofed} with a new X-Forwarded-For each time")
                continue
            fixed = _until_limited(attempt, tries, spoof=False)
            if fixed < tries:
                bypassed.append(name)
                lines.append(
                    f"{name}: {tries} tries with a new X-Forwarded-For each, no 429; "
                    f"one fixed X-Forwarded-For: 429 after {fixed}"
                )
            else:
                lines.append(f"{name}: no 429 in {tries} tries either way (limit not seen)")
    return Outcome(bool(bypassed), "; ".join(lines))


# -- F7: 500s from client input ---------------------------------------------------------


def _statuses_500(results: list[tuple[str, int]]) -> Outcome:
    bad = [f"{what} -> {status}" for what, status in results if status >= 500]
    if bad:
        return Outcome(True, "500 from " + "; ".join(bad))
    shown = ", ".join(sorted({str(status) for _, status in results}))
    return Outcome(False, f"{len(results)} requests, no 5xx (statuses {shown})")


def f7_nul(base: str, demo: Demo, mail_dir: Path | None) -> Outcome:
    with browser(base) as http:
        results = [
            (
                "GET /v1/users?search=a%00b",
                http.get("/v1/users?search=a%00b", headers=demo.perscom),
            ),
            (
                'POST /v1/users name "A\\u0000B"',
                http.post(
                    "/v1/users",
                    json={"name": "A\u0000B", "email": f"nul-{uuid.uuid4().hex[:8]}@example.com"},
                    headers=demo.perscom,
                ),
            ),
            (
                "POST /v1/users/search value NUL",
                http.post(
                    "/v1/users/search", json={"search": {"value": "\u0000"}}, headers=demo.perscom
                ),
            ),
            (
                "GET /api/v5/user/?name=%00",
                http.get("/api/v5/user/?name=%00", headers=percolate_headers(base, demo)),
            ),
            (
                'POST /api/v5/scope/ name "A\\u0000B"',
                http.post(
                    "/api/v5/scope/",
                    json={"name": "A\u0000B", "kind": "brand"},
                    headers=percolate_headers(base, demo),
                ),
            ),
        ]
    return _statuses_500([(what, response.status_code) for what, response in results])


def f7_pages(base: str, demo: Demo, mail_dir: Path | None) -> Outcome:
    with browser(base) as http:
        results = [
            (
                f"GET /v1/users?page={page}",
                http.get(f"/v1/users?page={page}", headers=demo.perscom).status_code,
            )
            for page in (2**31 // 15 + 2, 2**31, 2**62)
        ]
    return _statuses_500(results)


def f7_dates(base: str, demo: Demo, mail_dir: Path | None) -> Outcome:
    results = []
    with browser(base) as http:
        for moment in (
            "0001-01-01",
            "9999-12-31",
            "0001-01-01T00:00:00+05:00",
            "9999-12-31T23:59:59-05:00",
        ):
            for name in ("created_at:from", "created_at:to"):
                response = http.get(
                    "/api/v5/user/", params={name: moment}, headers=percolate_headers(base, demo)
                )
                results.append((f"GET /api/v5/user/?{name}={moment}", response.status_code))
        for day in ("0001-01-01", "9999-12-31"):
            for operator in ("<", ">="):
                response = http.post(
                    "/v1/users/search",
                    json={"filters": [{"field": "created_at", "operator": operator, "value": day}]},
                    headers=demo.perscom,
                )
                results.append(
                    (f"POST /v1/users/search created_at {operator} {day}", response.status_code)
                )
    return _statuses_500(results)


def f7_ids(base: str, demo: Demo, mail_dir: Path | None) -> Outcome:
    with browser(base) as http:
        results = [
            (
                "POST /v1/users rank_id 2**70",
                http.post(
                    "/v1/users",
                    json={
                        "name": "Big",
                        "email": f"big-{uuid.uuid4().hex[:8]}@example.com",
                        "rank_id": 2**70,
                    },
                    headers=demo.perscom,
                ).status_code,
            )
        ]
        for value in ("user:" + "9" * 25, "user:9223372036854775808", 2**70):
            response = http.post(
                "/api/v5/user_role/",
                json={"user_id": value, "role_id": "role:1", "scope_id": "scope:1"},
                headers=percolate_headers(base, demo),
            )
            results.append((f"POST /api/v5/user_role/ user_id {value}", response.status_code))
    return _statuses_500(results)


async def _racing(
    base: str, path: str, headers: dict[str, str], body: Callable[[int], dict[str, str]]
) -> list[int]:
    async with httpx.AsyncClient(base_url=base, timeout=120) as http:
        responses = await asyncio.gather(
            *(http.post(path, json=body(number), headers=headers) for number in range(25))
        )
    return [response.status_code for response in responses]


def f7_race(base: str, demo: Demo, mail_dir: Path | None) -> Outcome:
    perscom_email = f"race-{uuid.uuid4().hex[:8]}@example.com"
    percolate_email = f"race-{uuid.uuid4().hex[:8]}@example.org"
    perscom = asyncio.run(
        _racing(
            base, "/v1/users", demo.perscom, lambda n: {"name": f"R{n}", "email": perscom_email}
        )
    )
    percolate = asyncio.run(
        _racing(
            base,
            "/api/v5/user/",
            percolate_headers(base, demo),
            lambda n: {"name": f"R{n}", "email": percolate_email},
        )
    )
    results = [("25 concurrent POST /v1/users, one email", s) for s in perscom]
    results += [("25 concurrent POST /api/v5/user/, one email", s) for s in percolate]
    reproduced = _statuses_500(results).reproduced
    return Outcome(
        reproduced,
        f"25 concurrent creates with one email: PERSCOM {sorted(perscom)}, "
        f"Percolate {sorted(percolate)}",
    )


def f7_redirect_uri(base: str, demo: Demo, mail_dir: Path | None) -> Outcome:
    results = []
    with browser(base) as http:
        sign_in(http, demo)
        for bad in (
            "https://a.example/\\x",
            'https://a.example/"x',
            "https://a.example/\r\nX-Evil: 1",
        ):
            params = {
                "response_type": "code",
                "client_id": demo.client_id,
                "state": "repro",
                "redirect_uri": bad,
            }
            url = "/auth/oauth2?" + urlencode(params)
            page = http.get(url)
            results.append((f"GET /auth/oauth2 redirect_uri={bad!r}", page.status_code))
            if page.status_code == 200 and CSRF.search(page.text):
                consent = http.post(
                    url, data={"csrf_token": csrf_of(page.text), "decision": "allow"}
                )
                results.append(
                    (f"POST /auth/oauth2 (allow) redirect_uri={bad!r}", consent.status_code)
                )
    return _statuses_500(results)


# -- F9: the smaller findings -----------------------------------------------------------


def f9_key_lifetime(base: str, demo: Demo, mail_dir: Path | None, cli: Path | None) -> Outcome:
    if cli is None:
        raise Failed("needs --cli, the build's tenantry executable")
    name = f"repro-zero-{uuid.uuid4().hex[:6]}"
    created = subprocess.run(
        [
            str(cli),
            "apikey",
            "create",
            "--tenant",
            str(demo.tenant_id),
            "--name",
            name,
            "--scopes",
            "view:user",
            "--expires-in",
            "0",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if created.returncode != 0:
        refusal = (created.stderr.strip() or created.stdout.strip()).splitlines()
        return Outcome(
            False,
            f"apikey create --expires-in 0 exited {created.returncode}: "
            + " ".join(line.strip(" │╭╮╰╯─") for line in refusal if "expires" in line)[:160],
        )
    listed = subprocess.run(
        [str(cli), "apikey", "list", "--tenant", str(demo.tenant_id)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    keys = [json.loads(line) for line in listed.stdout.splitlines() if line.startswith("{")]
    mine = [key for key in keys if key.get("name") == name]
    if not mine:
        raise Failed(f"apikey list does not show {name}")
    expires = mine[0].get("expires_at")
    return Outcome(
        expires is None,
        f"--expires-in 0 created key {mine[0]['id']}; apikey list: expires_at {expires}",
    )


def png_bytes() -> bytes:
    """A valid 4x4 red PNG (a picture every image check accepts), built by hand."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * 4 for _ in range(4))
    header = struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def f9_image_url(base: str, demo: Demo, mail_dir: Path | None) -> Outcome:
    picture = png_bytes()
    with browser(base) as http:
        stored = http.post(
            "/v1/images",
            data={"name": "Readback"},
            files={"image": ("readback.png", picture, "image/png")},
            headers=demo.perscom,
        )
        if stored.status_code != 201:
            raise Failed(f"POST /v1/images answered {stored.status_code}: {stored.text[:200]}")
        image_url = str(stored.json()["data"]["image_url"])
        link = urlsplit(image_url)
        fetched = http.get(f"{link.path}?{link.query}" if link.query else link.path)
    readable = fetched.status_code == 200 and fetched.content == picture
    return Outcome(
        not readable,
        f"image_url {link.path}{'?…' if link.query else ''}: GET {fetched.status_code}"
        + (", the bytes uploaded" if readable else ""),
    )


def f9_wireserver(base: str, demo: Demo, mail_dir: Path | None) -> Outcome:
    url = "http://168.63.129.16/machine?comp=goalstate"
    with browser(base) as http:
        headers = percolate_headers(base, demo)
        made = http.post("/api/v5/webhook/", json={"url": url, "secret": "s" * 24}, headers=headers)
        if made.status_code in (200, 201):
            ident = made.json().get("id")
            if ident is not None:
                http.delete(f"/api/v5/webhook/{ident}", headers=headers)
            return Outcome(
                True, f"POST /api/v5/webhook/ url {url}: {made.status_code} (deleted again)"
            )
    return Outcome(False, f"POST /api/v5/webhook/ url {url}: {made.status_code} {made.text[:120]}")


def f9_unbound_code(base: str, demo: Demo, mail_dir: Path | None) -> Outcome:
    evil = "https://evil.example/callback"
    with browser(base) as http:
        code = authorization_code(http, demo)
        stolen = redeem(http, demo, code, redirect_uri=evil)
        if stolen.status_code == 200 and "access_token" in stolen.json():
            return Outcome(
                True, f"code asked without redirect_uri redeemed with redirect_uri={evil}: 200"
            )
        control = redeem(http, demo, authorization_code(http, demo), redirect_uri=demo.redirect_uri)
    return Outcome(
        False,
        f"with {evil}: {stolen.status_code} {stolen.text[:80]}; "
        f"with the registered one: {control.status_code}",
    )


def f9_urllib_413(base: str, demo: Demo, mail_dir: Path | None) -> Outcome:
    body = b"x" * (30 * 1024 * 1024)
    seen = []
    for _ in range(3):
        request = urllib.request.Request(
            f"{base}/v1/users",
            data=body,
            headers={**demo.perscom, "Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                seen.append(str(response.status))
        except urllib.error.HTTPError as error:
            seen.append(str(error.code))
        except (urllib.error.URLError, OSError) as error:
            reason = error.reason if isinstance(error, urllib.error.URLError) else error
            seen.append(type(reason).__name__)
    lost = [answer for answer in seen if not answer.isdigit()]
    return Outcome(bool(lost), f"3 urllib POSTs of 30 MB to /v1/users: {', '.join(seen)}")


# -- F8: refresh rotation race ----------------------------------------------------------


async def _refreshes(base: str, demo: Demo, refresh_token: str) -> list[int]:
    async def one() -> int:
        async with httpx.AsyncClient(base_url=base, timeout=120) as http:
            body = {"grant_type": "refresh_token", "refresh_token": refresh_token}
            response = await http.post(TOKEN_PATH, data=body, headers=demo.client_basic)
            return response.status_code

    return list(await asyncio.gather(*(one() for _ in range(20))))


def f8_refresh_race(base: str, demo: Demo, mail_dir: Path | None) -> Outcome:
    verifier, challenge = pkce_pair()
    with browser(base) as http:
        code = authorization_code(
            http, demo, code_challenge=challenge, code_challenge_method="S256"
        )
        issued = redeem(http, demo, code, code_verifier=verifier)
    if issued.status_code != 200 or "refresh_token" not in issued.json():
        raise Failed(f"the code exchange answered {issued.status_code}: {issued.text[:200]}")
    statuses = asyncio.run(_refreshes(base, demo, issued.json()["refresh_token"]))
    pairs = statuses.count(200)
    return Outcome(
        pairs > 1, f"20 concurrent refreshes of one token gave {pairs} new pairs {sorted(statuses)}"
    )


Check = Callable[[str, Demo, Path | None], Outcome]

CHECKS: list[tuple[str, Check]] = [
    ("F4", f4_pkce),
    ("F8", f8_refresh_race),
    ("F7 NUL", f7_nul),
    ("F7 page offsets", f7_pages),
    ("F7 calendar edges", f7_dates),
    ("F7 ids past int64", f7_ids),
    ("F7 create race", f7_race),
    ("F7 redirect_uri", f7_redirect_uri),
    ("F9 image_url", f9_image_url),
    ("F9 WireServer webhook", f9_wireserver),
    ("F9 code without redirect_uri", f9_unbound_code),
    ("F9 413 lost by urllib", f9_urllib_413),
    ("F5", f5_sessions),
    ("F6", f6_forwarded_for),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base_url", help="e.g. http://127.0.0.1:8000 (loopback for F6)")
    parser.add_argument("secrets", type=Path, help="the first start's log or demo-credentials.txt")
    parser.add_argument("--mail-dir", type=Path, help="the server's <data dir>/mail (F5's reset)")
    parser.add_argument("--cli", type=Path, help="the same build's tenantry executable (F9 key)")
    parser.add_argument("--only", default="", help="comma-separated prefixes, e.g. F4,F7")
    args = parser.parse_args()
    demo = read_demo(args.secrets)
    wanted = [part.strip() for part in args.only.split(",") if part.strip()]
    cli: Path | None = args.cli

    def key_lifetime(base: str, demo: Demo, mail_dir: Path | None) -> Outcome:
        return f9_key_lifetime(base, demo, mail_dir, cli)

    # before F5 and F6, which spend the loopback's budgets
    before = next(index for index, (name, _) in enumerate(CHECKS) if name == "F5")
    checks = [*CHECKS[:before], ("F9 apikey --expires-in 0", key_lifetime), *CHECKS[before:]]
    for name, check in checks:
        if wanted and not any(name.startswith(prefix) for prefix in wanted):
            continue
        try:
            outcome = check(args.base_url.rstrip("/"), demo, args.mail_dir)
        except (Failed, httpx.HTTPError) as exc:
            print(f"{name}: not reproduced (could not run: {exc})", flush=True)
            continue
        verdict = "reproduced" if outcome.reproduced else "not reproduced"
        print(f"{name}: {verdict} ({outcome.detail})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
