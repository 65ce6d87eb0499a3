"""Signing in through the shared web pages, as a person with a browser would (every face's
OAuth tests use it)."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import httpx
import pyotp

from tenantry.core.base import utcnow

PASSWORD = "correct horse battery staple"

__all__ = ["CSRF", "PASSWORD", "Person", "csrf_of", "query_of", "sign_in"]


@dataclass
class Person:
    tenant_id: int
    user_id: int
    email: str
    password: str = PASSWORD
    totp_seed: str | None = None
    _last_step: int = field(default=0, repr=False)

    def totp(self) -> str:
        """A code for a step not used before (the server refuses replays): the window
        around now holds three, which is all any test needs."""
        assert self.totp_seed is not None
        totp = pyotp.TOTP(self.totp_seed)
        left = totp.interval - time.time() % totp.interval
        if left < 3:  # the code would be verified in the next window, where step-1 is gone
            time.sleep(left + 0.05)
        current = totp.timecode(utcnow())
        step = max(current - 1, self._last_step + 1)
        assert step <= current + 1, "this test used more TOTP codes than a window holds"
        self._last_step = step
        return totp.generate_otp(step)


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "the page has no CSRF field"
    return match.group(1)


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


async def sign_in(http: httpx.AsyncClient, person: Person, next_path: str = "/settings") -> None:
    """Password (and TOTP when on) through the pages; ends fully signed in."""
    page = await http.get("/login", params={"next": next_path, "account": person.tenant_id})
    assert page.status_code == 200, page.text
    done = await http.post(
        "/login",
        data={
            "csrf_token": csrf_of(page.text),
            "account": str(person.tenant_id),
            "email": person.email,
            "password": person.password,
            "next": next_path,
        },
    )
    assert done.status_code == 303, done.text
    if person.totp_seed is not None:
        assert done.headers["location"].startswith("/login/two-factor")
        prompt = await http.get(done.headers["location"])
        done = await http.post(
            "/login/two-factor",
            data={"csrf_token": csrf_of(prompt.text), "code": person.totp(), "next": next_path},
        )
        assert done.status_code == 303, done.text
    assert done.headers["location"] == next_path
