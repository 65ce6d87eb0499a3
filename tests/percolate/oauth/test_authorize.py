"""GET/POST /auth/oauth2: validation first, then sign-in scoped to the client's tenant, consent."""

from __future__ import annotations

import httpx
import pytest
from tests.percolate.support.oauth import (
    People,
    authorize_url,
    csrf_of,
    form_dance,
    query_of,
    sign_in,
)

from tenantry.percolate.oauth.models import OAuthCode

pytestmark = pytest.mark.anyio


async def test_missing_state_is_redirected_as_invalid_request_without_a_code(
    http: httpx.AsyncClient, people: People
) -> None:
    tenant = await people.tenant()
    client = await people.client(tenant)

    response = await http.get(authorize_url(client, state=None))

    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith(client.redirect_uri + "?")
    assert query_of(location)["error"] == "invalid_request"
    assert "code" not in query_of(location)


async def test_wrong_response_type_is_redirected_with_the_state(
    http: httpx.AsyncClient, people: People
) -> None:
    tenant = await people.tenant()
    client = await people.client(tenant)

    response = await http.get(authorize_url(client, response_type="token"))

    assert response.status_code == 302
    answer = query_of(response.headers["location"])
    assert answer["error"] == "unsupported_response_type"
    assert answer["state"] == "st-123"


@pytest.mark.parametrize(
    "params",
    [
        {"client_id": "client:999999999"},
        {"client_id": "not-a-client"},
        {},
        {"redirect_uri": "https://evil.example/steal"},
        {"redirect_uri": "https://client.example.org/callback/extra"},
    ],
    ids=["unknown-client", "malformed-client", "no-client", "foreign-redirect", "longer-redirect"],
)
async def test_errors_that_cannot_be_redirected_are_shown_as_a_page(
    http: httpx.AsyncClient, people: People, params: dict[str, str]
) -> None:
    tenant = await people.tenant()
    client = await people.client(tenant)
    url = authorize_url(client, **{k: v for k, v in params.items() if k != "client_id"})
    if "client_id" in params:
        url = url.replace(client.client_id.replace(":", "%3A"), params["client_id"])
    elif not params:
        url = "/auth/oauth2?response_type=code&state=x"

    response = await http.get(url)

    assert response.status_code == 400
    assert "location" not in response.headers
    assert response.headers["content-type"].startswith("text/html")
    assert "sign-in link is not valid" in response.text
    assert "evil.example/steal" not in response.headers.get("location", "")


async def test_exact_redirect_uri_is_accepted(http: httpx.AsyncClient, people: People) -> None:
    tenant = await people.tenant()
    person = await people.user(tenant)
    client = await people.client(tenant)

    answer = await form_dance(http, client, person, redirect_uri=client.redirect_uri)

    assert "code" in answer


async def test_signed_out_person_is_sent_to_the_clients_tenant_sign_in(
    http: httpx.AsyncClient, people: People
) -> None:
    tenant = await people.tenant("Acme <Corp>")
    client = await people.client(tenant)
    url = authorize_url(client)

    response = await http.get(url)

    assert response.status_code == 303
    login = response.headers["location"]
    assert login.startswith("/login?")
    assert query_of(login) == {"next": url, "account": str(tenant)}
    page = await http.get(login)
    assert "Acme &lt;Corp&gt;" in page.text
    assert "Acme <Corp>" not in page.text


async def test_a_user_of_another_tenant_cannot_consent(
    http: httpx.AsyncClient, people: People
) -> None:
    tenant, other = await people.tenant(), await people.tenant()
    stranger = await people.user(other)
    client = await people.client(tenant)
    await sign_in(http, stranger)

    response = await http.get(authorize_url(client))
    assert response.status_code == 303
    assert query_of(response.headers["location"])["account"] == str(tenant)

    # Their credentials do not work in the client's tenant either.
    login = await http.get(response.headers["location"])
    refused = await http.post(
        "/login",
        data={
            "csrf_token": csrf_of(login.text),
            "account": str(tenant),
            "email": stranger.email,
            "password": stranger.password,
            "next": authorize_url(client),
        },
    )
    assert refused.status_code == 401
    assert await people.count(OAuthCode, tenant) == 0


async def test_two_factor_users_pass_the_totp_step_before_consent(
    http: httpx.AsyncClient, people: People
) -> None:
    tenant = await people.tenant()
    person = await people.user(tenant, two_factor_on=True)
    client = await people.client(tenant)
    url = authorize_url(client)

    login = await http.get((await http.get(url)).headers["location"])
    after_password = await http.post(
        "/login",
        data={
            "csrf_token": csrf_of(login.text),
            "account": str(tenant),
            "email": person.email,
            "password": person.password,
            "next": url,
        },
    )
    assert after_password.headers["location"].startswith("/login/two-factor?")
    # Half-signed-in is not signed in: the authorization endpoint still asks for the code.
    pending = await http.get(url)
    assert pending.status_code == 303
    assert pending.headers["location"].startswith("/login/two-factor?")

    answer = await form_dance(http, client, person)
    assert "code" in answer


async def test_consent_page_names_application_and_tenant_and_escapes_them(
    http: httpx.AsyncClient, people: People
) -> None:
    tenant = await people.tenant("Tenant <b>bold</b>")
    person = await people.user(tenant)
    client = await people.client(tenant, name='<script>alert("x")</script>')
    url = authorize_url(client)
    await sign_in(http, person, next_path=url)

    page = await http.get(url)

    assert page.status_code == 200
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page.text
    assert "<script>" not in page.text
    assert "Tenant &lt;b&gt;bold&lt;/b&gt;" in page.text
    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


async def test_consent_post_without_csrf_token_is_refused(
    http: httpx.AsyncClient, people: People
) -> None:
    tenant = await people.tenant()
    person = await people.user(tenant)
    client = await people.client(tenant)
    url = authorize_url(client)
    await sign_in(http, person, next_path=url)

    response = await http.post(url, data={"decision": "allow"})

    assert response.status_code == 403
    assert "location" not in response.headers
    assert await people.count(OAuthCode, tenant) == 0
