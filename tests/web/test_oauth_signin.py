"""Sign-in pages: CSRF, cookies, open redirects, rate limits, two-factor set-up and prompt."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pyotp
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from limits import parse
from tests.percolate.support.oauth import People, Person, build_app, client_for, csrf_of, sign_in

from tenantry.settings import Settings
from tenantry.web.face import WebFace
from tenantry.web.signin import SignInLimits

pytestmark = pytest.mark.anyio


async def post_login(
    http: httpx.AsyncClient,
    person: Person,
    *,
    password: str | None = None,
    next_path: str = "/settings",
    account: str | None = None,
) -> httpx.Response:
    page = await http.get("/login", params={"next": next_path})
    return await http.post(
        "/login",
        data={
            "csrf_token": csrf_of(page.text),
            "account": account if account is not None else str(person.tenant_id),
            "email": person.email,
            "password": password if password is not None else person.password,
            "next": next_path,
        },
    )


@pytest.mark.parametrize("account", ["{id}", "account:{id}", " account:{id} "])
async def test_sign_in_with_organisation_id_and_land_on_next(
    http: httpx.AsyncClient, people: People, account: str
) -> None:
    tenant = await people.tenant()
    person = await people.user(tenant)

    response = await post_login(
        http, person, account=account.format(id=tenant), next_path="/settings/api-keys"
    )

    assert response.status_code == 303
    assert response.headers["location"] == "/settings/api-keys"
    settings_page = await http.get("/settings")
    assert settings_page.status_code == 200
    assert person.email in settings_page.text


async def test_wrong_credentials_are_refused_without_saying_which(
    http: httpx.AsyncClient, people: People
) -> None:
    tenant = await people.tenant()
    person = await people.user(tenant)

    wrong_password = await post_login(http, person, password="nope")
    wrong_tenant = await post_login(http, person, account="999999999")
    not_a_tenant = await post_login(http, person, account="<script>")

    for response in (wrong_password, wrong_tenant, not_a_tenant):
        assert response.status_code == 401
        assert "The organisation, email or password is not right." in response.text
        assert "tenantry_session" not in response.headers.get("set-cookie", "")
    assert "<script>" not in not_a_tenant.text
    assert (await http.get("/settings")).status_code == 303


async def test_cookies_are_httponly_lax_and_secure_under_https(
    percolate_app: FastAPI, people: People
) -> None:
    tenant = await people.tenant()
    person = await people.user(tenant)
    async with client_for(percolate_app, base_url="https://testserver") as https:
        response = await post_login(https, person)
        cookies = response.headers.get_list("set-cookie")
    session_cookie = next(c for c in cookies if c.startswith("tenantry_session="))
    for attribute in ("HttpOnly", "SameSite=lax", "Secure", "Path=/"):
        assert attribute.lower() in session_cookie.lower()

    async with client_for(percolate_app) as plain:
        page = await plain.get("/login")
    csrf_cookie = page.headers["set-cookie"]
    assert "httponly" in csrf_cookie.lower() and "samesite=lax" in csrf_cookie.lower()
    assert "secure" not in csrf_cookie.lower()


async def test_forms_without_a_matching_csrf_token_are_refused(
    http: httpx.AsyncClient, percolate_app: FastAPI, people: People
) -> None:
    tenant = await people.tenant()
    person = await people.user(tenant)
    fields = {"account": str(tenant), "email": person.email, "password": person.password}

    missing = await http.post("/login", data=fields)
    async with client_for(percolate_app) as other:
        foreign_token = csrf_of((await other.get("/login")).text)
    await http.get("/login")  # our own CSRF cookie
    foreign = await http.post("/login", data={**fields, "csrf_token": foreign_token})

    for response in (missing, foreign):
        assert response.status_code == 403
        assert response.headers["content-type"].startswith("text/html")
    assert (await http.get("/settings")).status_code == 303


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "\\\\evil.example",
        "javascript:alert(1)",
        "http:/evil.example",
        "/settings\r\nLocation: https://evil.example",
        "settings",
    ],
)
async def test_next_never_leaves_the_site(
    http: httpx.AsyncClient, people: People, target: str
) -> None:
    tenant = await people.tenant()
    person = await people.user(tenant)

    page = await http.get("/login", params={"next": target})
    assert 'name="next" value="/settings"' in page.text
    response = await post_login(http, person, next_path=target)

    assert response.status_code == 303
    assert response.headers["location"] == "/settings"
    again = await http.get("/login", params={"next": target})
    assert again.headers["location"] == "/settings"


async def test_failed_sign_ins_are_limited_per_account(
    http: httpx.AsyncClient, people: People
) -> None:
    tenant = await people.tenant()
    person = await people.user(tenant)
    for _ in range(parse(SignInLimits().per_account).amount):
        assert (await post_login(http, person, password="wrong")).status_code == 401

    blocked = await post_login(http, person)

    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) > 0
    assert "Too many sign-in attempts" in blocked.text
    # Another account from the same address is not affected.
    other = await people.user(tenant)
    assert (await post_login(http, other)).status_code == 303


@pytest.fixture
async def strict_app(settings: Settings, migrated: None) -> AsyncIterator[FastAPI]:
    web = WebFace(SignInLimits(per_address="3 per 15 minutes"))
    application = build_app(settings, web)
    async with LifespanManager(application):
        yield application


async def test_failed_sign_ins_are_limited_per_address(strict_app: FastAPI, people: People) -> None:
    tenant = await people.tenant()
    victims = [await people.user(tenant) for _ in range(4)]
    async with client_for(strict_app) as attacker:
        outcomes = [
            (await post_login(attacker, victim, password="guess")).status_code for victim in victims
        ]
    async with client_for(strict_app) as elsewhere:
        fine = await post_login(elsewhere, victims[0])

    assert outcomes == [401, 401, 401, 429]
    assert fine.status_code == 303


async def test_sign_out_clears_the_session(http: httpx.AsyncClient, people: People) -> None:
    tenant = await people.tenant()
    person = await people.user(tenant)
    await sign_in(http, person)
    settings_page = await http.get("/settings")

    signed_out = await http.post("/logout", data={"csrf_token": csrf_of(settings_page.text)})

    assert signed_out.status_code == 303
    assert 'tenantry_session=""' in signed_out.headers["set-cookie"]
    assert (await http.get("/settings")).status_code == 303


async def test_two_factor_set_up_prompt_recovery_codes_and_turning_off(
    http: httpx.AsyncClient, people: People
) -> None:
    tenant = await people.tenant()
    person = await people.user(tenant)
    await sign_in(http, person)

    start = await http.get("/settings/two-factor")
    assert "Set up two-factor" in start.text
    begun = await http.post("/settings/two-factor/begin", data={"csrf_token": csrf_of(start.text)})
    assert begun.status_code == 303
    enrol = await http.get("/settings/two-factor")
    assert 'src="data:image/svg+xml' in enrol.text
    seed_match = re.search(r'id="totp-seed">([A-Z2-7]+)<', enrol.text)
    assert seed_match
    person.totp_seed = seed_match.group(1)

    wrong = await http.post(
        "/settings/two-factor/confirm", data={"csrf_token": csrf_of(enrol.text), "code": "000000"}
    )
    assert wrong.status_code == 400
    confirmed = await http.post(
        "/settings/two-factor/confirm",
        data={"csrf_token": csrf_of(enrol.text), "code": person.totp()},
    )
    assert confirmed.status_code == 200
    codes = re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", confirmed.text)
    assert len(codes) == 10
    assert confirmed.headers["cache-control"] == "no-store"

    # Next sign-in asks for a code; a recovery code works once.
    await http.post("/logout", data={"csrf_token": csrf_of(confirmed.text)})
    after_password = await post_login(http, person)
    assert after_password.headers["location"].startswith("/login/two-factor")
    assert (await http.get("/settings")).status_code == 303  # not signed in yet
    prompt = await http.get(after_password.headers["location"])
    used = await http.post(
        "/login/two-factor",
        data={"csrf_token": csrf_of(prompt.text), "code": codes[0].upper(), "next": "/settings"},
    )
    assert used.status_code == 303
    page = await http.get("/settings")
    await http.post("/logout", data={"csrf_token": csrf_of(page.text)})
    await post_login(http, person)
    prompt = await http.get("/login/two-factor")
    reused = await http.post(
        "/login/two-factor",
        data={"csrf_token": csrf_of(prompt.text), "code": codes[0], "next": "/settings"},
    )
    assert reused.status_code == 401

    # A TOTP code is accepted once, never replayed.
    code = person.totp()
    accepted = await http.post(
        "/login/two-factor",
        data={"csrf_token": csrf_of(prompt.text), "code": code, "next": "/settings"},
    )
    assert accepted.status_code == 303
    page = await http.get("/settings/two-factor")
    replay = await http.post(
        "/settings/two-factor/disable", data={"csrf_token": csrf_of(page.text), "code": code}
    )
    assert replay.status_code == 400
    turned_off = await http.post(
        "/settings/two-factor/disable",
        data={"csrf_token": csrf_of(page.text), "code": person.totp()},
    )
    assert turned_off.status_code == 303
    assert "Set up two-factor" in (await http.get("/settings/two-factor")).text


async def test_second_factor_attempts_are_limited(http: httpx.AsyncClient, people: People) -> None:
    tenant = await people.tenant()
    person = await people.user(tenant, two_factor_on=True)
    await post_login(http, person)
    prompt = await http.get("/login/two-factor")
    assert person.totp_seed is not None
    wrong = str((int(pyotp.TOTP(person.totp_seed).now()) + 1) % 1_000_000).zfill(6)

    statuses = [
        (
            await http.post(
                "/login/two-factor",
                data={"csrf_token": csrf_of(prompt.text), "code": wrong, "next": "/settings"},
            )
        ).status_code
        for _ in range(6)
    ]

    assert statuses == [401, 401, 401, 401, 401, 429]
