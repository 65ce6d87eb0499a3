"""The seed's code samples for ``GET /v1/users`` (the PERSCOM docs' "Using The API"), run as
written against a live server: only the host, the API key and the PERSCOM ID are replaced.

The samples below are copied verbatim from the seed
(``shared/seeds/000_1d94a61230c492ac.txt``): curl, Python ``requests``, ``fetch`` and the
TypeScript ``fetch`` (plain JavaScript apart from its type-free syntax).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.perscom.conftest import KeyFactory, Org

from tenantry.core.identity import service as identity
from tenantry.core.tenancy import tenant_session
from tenantry.settings import Settings

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]

CURL = """curl -X GET \\
     -H "Authorization: Bearer apiKey" \\
     -H "Accept: application/json" \\
     -H "X-Perscom-Id: perscomId" \\
     https://api.perscom.io/v1/users"""

PYTHON = """import requests

url = 'https://api.perscom.io/v1/users'
headers = {
    'Authorization': 'Bearer apiKey',
    'Accept': 'application/json',
    'X-Perscom-Id': 'perscomId'
}
response = requests.get(url, headers=headers)

print(f'Status code: {response.status_code}')
print(f'Response body: {response.text}')
"""

JS = """fetch('https://api.perscom.io/v1/users', {
  method: 'GET',
  headers: {
    'Authorization': 'Bearer apiKey',
    'Accept': 'application/json',
    'X-Perscom-Id': 'perscomId'
  }
})
  .then(response => {
    console.log('Status code:', response.status);
  })
  .catch(error => {
    console.error('Error:', error);
  });
"""

TS = """const url = 'https://api.perscom.io/v1/users';

const headers = new Headers({
  'Authorization': 'Bearer apiKey',
  'Accept': 'application/json',
  'X-Perscom-Id': 'perscomId'
});

fetch(url, { headers })
  .then(response => {
    console.log(`Status code: ${response.status}`);
    return response.json();
  })
  .then(data => console.log(`Response body: ${JSON.stringify(data)}`))
  .catch(error => console.error(`Error: ${error}`));
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def live(settings: Settings) -> Iterator[str]:
    """A uvicorn process serving the PERSCOM face on the tests' database."""
    port = _free_port()
    env = {
        **os.environ,
        "TENANTRY_DATABASE_URL": settings.effective_database_url,
        "TENANTRY_DATA_DIR": str(settings.data_dir),
        "TENANTRY_SECRET_KEY": settings.effective_secret_key,
        "TENANTRY_EMBEDDED_WORKER": "false",
        "TENANTRY_DEMO_ON_FIRST_START": "false",
        "TENANTRY_BASE_URL": f"http://127.0.0.1:{port}",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "tests.perscom.live_server:create",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the live server did not start")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def _substitute(sample: str, base: str, token: str, tenant_id: int) -> str:
    return (
        sample.replace("https://api.perscom.io", base)
        .replace("apiKey", token)
        .replace("perscomId", str(tenant_id))
    )


@pytest.fixture
async def roster(
    org: Org, sessions: async_sessionmaker[AsyncSession], make_key: KeyFactory
) -> tuple[str, set[str]]:
    """Two more people in the org, and a key holding only ``view:user`` (as the docs say)."""
    async with tenant_session(sessions, org.tenant_id) as session:
        for name in ("Sample One", "Sample Two"):
            email = name.lower().replace(" ", ".") + "@example.com"
            await identity.create_user(session, email=email, name=name)
    _, token = await make_key(org.tenant_id, ["view:user"])
    return token, {"Ada Admin", "Sample One", "Sample Two"}


async def _run(command: list[str]) -> str:
    with anyio.fail_after(60):
        result = await anyio.run_process(command, check=True)
    return result.stdout.decode()


def _body_names(output: str) -> set[str]:
    body = output.split("Response body: ", 1)[1]
    return {user["name"] for user in json.loads(body)["data"]}


async def test_curl_sample(live: str, org: Org, roster: tuple[str, set[str]]) -> None:
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    token, names = roster
    command = _substitute(CURL, live, token, org.tenant_id)
    result = await _run(["bash", "-c", command])
    body = json.loads(result)
    assert set(body) == {"data", "links", "meta"}  # a 200 list, not an error body
    assert {u["name"] for u in body["data"]} == names


async def test_python_requests_sample(live: str, org: Org, roster: tuple[str, set[str]]) -> None:
    token, names = roster
    code = _substitute(PYTHON, live, token, org.tenant_id)
    output = await _run([sys.executable, "-c", code])
    assert "Status code: 200" in output
    assert _body_names(output) == names


@pytest.mark.parametrize("sample", [JS, TS], ids=["fetch", "typescript-fetch"])
async def test_javascript_fetch_samples(
    live: str, org: Org, roster: tuple[str, set[str]], sample: str
) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    token, names = roster
    code = _substitute(sample, live, token, org.tenant_id)
    output = await _run([node, "-e", code])
    assert "Status code: 200" in output, output
    if "Response body" in output:
        assert _body_names(output) == names
