"""Export and import on one installation: a second import is a second tenant, and a damaged,
newer or failing archive is refused with one line, leaving nothing behind."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.helpers import TenantFactory

from tenantry.core.identity import service as identity
from tenantry.core.portability.errors import PortabilityError
from tenantry.core.portability.export import export_tenant
from tenantry.core.portability.importer import import_tenant
from tenantry.core.tenancy import Tenant, tenant_session
from tenantry.demo import create_demo
from tenantry.percolate.link.models import ShortLinkCode
from tenantry.settings import Settings

pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("migrated"), pytest.mark.timeout(600)]


def tenantry(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    """``tenantry ARGS`` as a real process (a generous timeout: it imports the whole app)."""
    environment = {
        **os.environ,
        "TENANTRY_DATABASE_URL": settings.effective_database_url,
        "TENANTRY_DATA_DIR": str(settings.data_dir),
        "TENANTRY_SECRET_KEY": settings.effective_secret_key,
    }
    return subprocess.run(
        [sys.executable, "-m", "tenantry", *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
async def archive(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[tuple[int, Path]]:
    """The demo tenant, exported once for the whole module."""
    made = await create_demo(settings, sessions)
    path = tmp_path_factory.mktemp("archives") / "demo.tenantry"
    await export_tenant(settings, made["tenant_id"], path)
    yield made["tenant_id"], path


async def tenant_count(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Tenant)) or 0)


def stored_files(settings: Settings) -> int:
    return sum(1 for path in (settings.data_dir / "files").rglob("*") if path.is_file())


def repack(source: Path, target: Path, change: Callable[[str, bytes], bytes]) -> None:
    """A copy of ``source`` with members changed and the manifest's checksums made to match."""
    with tarfile.open(source) as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}  # type: ignore[union-attr]
    manifest = json.loads(members.pop("manifest.json"))
    for name in list(members):
        members[name] = change(name, members[name])
        manifest["members"][name] = {
            "sha256": hashlib.sha256(members[name]).hexdigest(),
            "size": len(members[name]),
        }
    manifest = json.loads(change("manifest.json", json.dumps(manifest).encode()))
    members["manifest.json"] = json.dumps(manifest).encode()
    with tarfile.open(target, "w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


async def test_importing_twice_makes_two_tenants_with_fresh_credentials(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    client: httpx.AsyncClient,
    archive: tuple[int, Path],
) -> None:
    source, path = archive
    first = json.loads(tenantry(settings, "tenant", "import", str(path)).stdout)
    second = json.loads(tenantry(settings, "tenant", "import", str(path)).stdout)
    assert len({source, first["tenant_id"], second["tenant_id"]}) == 3
    assert first["source_tenant_id"] == second["source_tenant_id"] == source
    assert first["admin"]["password"] != second["admin"]["password"]

    async def users(tenant_id: int, token: str) -> list[str]:
        answer = await client.get(
            "/v1/users",
            params={"limit": 100},
            headers={"Authorization": f"Bearer {token}", "X-Perscom-Id": str(tenant_id)},
        )
        assert answer.status_code == 200, answer.text
        return sorted(user["email"] for user in answer.json()["data"])

    one = await users(first["tenant_id"], first["perscom_api_key"]["token"])
    two = await users(second["tenant_id"], second["perscom_api_key"]["token"])
    assert one == two and first["admin"]["email"] in one
    # A key of one copy opens nothing in the other.
    crossed = await client.get(
        "/v1/users",
        headers={
            "Authorization": f"Bearer {first['perscom_api_key']['token']}",
            "X-Perscom-Id": str(second["tenant_id"]),
        },
    )
    assert crossed.status_code in (401, 403)
    me = await client.get(
        "/api/v5/me", headers={"Authorization": f"Bearer {second['percolate_access_token']}"}
    )
    assert me.status_code == 200 and me.json()["data"]["email"] == second["admin"]["email"]


async def test_export_holds_only_its_tenant(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    make_tenant: TenantFactory,
    tmp_path: Path,
) -> None:
    mine, other = await make_tenant(), await make_tenant()
    for tenant_id, email in ((mine, "mine@example.org"), (other, "other@example.org")):
        async with tenant_session(sessions, tenant_id) as session:
            await identity.create_user(session, email=email, name=email, roles=["admin"])
    await export_tenant(settings, mine, tmp_path / "mine.tenantry")
    with tarfile.open(tmp_path / "mine.tenantry") as tar:
        member = tar.extractfile("tables/users.jsonl.gz")
        assert member is not None
        rows = [json.loads(line) for line in gzip.decompress(member.read()).splitlines()]
    assert [row["email"] for row in rows] == ["mine@example.org"]
    assert {row["tenant_id"] for row in rows} == {mine}


async def test_truncated_archive_is_refused_in_one_line(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    archive: tuple[int, Path],
    tmp_path: Path,
) -> None:
    data = archive[1].read_bytes()
    truncated = tmp_path / "truncated.tenantry"
    truncated.write_bytes(data[: len(data) // 2])
    before = await tenant_count(sessions)
    result = tenantry(settings, "tenant", "import", str(truncated))
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("tenantry: ") and "truncated" in lines[-1], result.stderr
    assert not any("Traceback" in line for line in lines)
    assert await tenant_count(sessions) == before


async def test_tampered_member_is_refused_by_its_checksum(
    settings: Settings, sessions: async_sessionmaker[AsyncSession], archive: tuple[int, Path]
) -> None:
    tampered = archive[1].with_name("tampered.tenantry")
    data = bytearray(archive[1].read_bytes())
    with tarfile.open(archive[1]) as tar:
        offset = tar.getmember("tables/users.jsonl.gz").offset_data
    data[offset + 40] ^= 0xFF
    tampered.write_bytes(bytes(data))
    before = await tenant_count(sessions)
    with pytest.raises(PortabilityError, match=r"checksum mismatch in archive member tables/users"):
        await import_tenant(settings, tampered)
    assert await tenant_count(sessions) == before


async def test_archive_from_a_newer_schema_is_refused(
    settings: Settings, sessions: async_sessionmaker[AsyncSession], archive: tuple[int, Path]
) -> None:
    newer = archive[1].with_name("newer.tenantry")

    def future(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return data
        manifest: dict[str, Any] = json.loads(data)
        manifest["schema_revision"] = "9999_from_the_future"
        return json.dumps(manifest).encode()

    repack(archive[1], newer, future)
    before = await tenant_count(sessions)
    with pytest.raises(PortabilityError, match=r"newer schema \(revision '9999_from_the_future'"):
        await import_tenant(settings, newer)
    assert await tenant_count(sessions) == before


async def test_a_failing_import_leaves_no_rows_and_no_files(
    settings: Settings, sessions: async_sessionmaker[AsyncSession], archive: tuple[int, Path]
) -> None:
    """A row breaks a constraint after the files and earlier rows were written."""
    broken = archive[1].with_name("broken.tenantry")
    with tarfile.open(archive[1]) as tar:
        tables = [name for name in tar.getnames() if name.startswith("tables/")]

    def break_one(name: str, data: bytes) -> bytes:
        if name != "tables/users.jsonl.gz":
            return data
        rows = [json.loads(line) for line in gzip.decompress(data).splitlines()]
        rows[-1]["email"] = None
        return gzip.compress(b"".join(json.dumps(row).encode() + b"\n" for row in rows))

    repack(archive[1], broken, break_one)
    assert len(tables) > 50
    before, files = await tenant_count(sessions), stored_files(settings)
    with pytest.raises(PortabilityError, match="conflict with this installation"):
        await import_tenant(settings, broken)
    assert await tenant_count(sessions) == before
    assert stored_files(settings) == files


async def test_a_public_short_code_keeps_pointing_where_it_first_did(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    make_tenant: TenantFactory,
    tmp_path: Path,
) -> None:
    """Short-link codes are unique across tenants: a copy imported beside its original
    keeps its rows but leaves the code to the tenant it was handed out for."""
    source = await make_tenant()
    code = uuid.uuid4().hex[:12]
    async with sessions() as session, session.begin():
        session.add(ShortLinkCode(code=code, tenant_id=source, link_id=1))
    await export_tenant(settings, source, tmp_path / "links.tenantry")
    elsewhere = await import_tenant(settings, tmp_path / "links.tenantry")
    async with sessions() as session:
        owners = list(
            await session.scalars(select(ShortLinkCode.tenant_id).where(ShortLinkCode.code == code))
        )
    assert owners == [source]
    assert elsewhere["tenant_id"] != source
